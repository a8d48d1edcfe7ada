"""`make stack` stops cleanly however it is stopped: SIGTERM, and SIGINT even when started
in the background (where the shell makes it ignore SIGINT). A fault test found both left
the PostgreSQL cluster running and the temporary folder behind."""

import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def start(ignore_sigint):
    def background():
        if ignore_sigint:  # what `make stack &` does to a child of a non-interactive shell
            signal.signal(signal.SIGINT, signal.SIG_IGN)

    process = subprocess.Popen(
        [sys.executable, "-m", "scripts.stack"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=background,
    )
    output, deadline = "", time.monotonic() + 180
    while "folder:" not in output:
        line = process.stdout.readline()
        assert line or process.poll() is None, output
        output += line
        assert time.monotonic() < deadline, output
    folder = Path(re.search(r"folder: (\S+)", output).group(1))
    url = re.search(r"https://127\.0\.0\.1:(\d+)/", output)
    return process, folder, int(url.group(1))


def listening(port):
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.parametrize(
    ("stop_with", "ignore_sigint"),
    [(signal.SIGTERM, False), (signal.SIGINT, True)],
    ids=["sigterm", "sigint-in-the-background"],
)
def test_make_stack_cleans_up(stop_with, ignore_sigint):
    process, folder, port = start(ignore_sigint)
    assert folder.is_dir() and listening(port)
    options = (folder / "postgres" / "data" / "postmaster.opts").read_text()
    postgres_port = int(re.search(r'"-p" "(\d+)"', options).group(1))
    process.send_signal(stop_with)
    process.communicate(timeout=90)  # reads what is left and closes the pipe
    assert not folder.exists()
    assert not listening(port) and not listening(postgres_port)
    leftovers = subprocess.run(["pgrep", "-f", str(folder)], capture_output=True, text=True)
    assert leftovers.stdout == "", leftovers.stdout
