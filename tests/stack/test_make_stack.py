"""`make stack` stops cleanly however it is stopped: SIGTERM to make's whole process group
(so the stack gets two, make passing its own on), and SIGINT even when started in the
background (where the shell makes it ignore SIGINT). Fault tests found the first left
Gunicorn nodes, the worker and Redis running with their folder deleted, the second the
PostgreSQL cluster and the folder behind."""

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def start(command, preexec_fn):
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=preexec_fn,
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


def alive(pid):
    """Running, not a zombie waiting for whoever adopted it."""
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return False


def descendants(pid):
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError):
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        found |= frontier
    return found


def started_processes(make_pid, folder):
    """Every process the stack started: what descends from make (Gunicorn masters and
    workers, the Celery worker and beat, Redis, NGINX), and the PostgreSQL server, which
    pg_ctl detaches."""
    postmaster = int((folder / "postgres" / "data" / "postmaster.pid").read_text().split()[0])
    return descendants(make_pid) | {postmaster} | descendants(postmaster)


def test_two_sigterms_through_make_stop_every_process():
    # make in a session of its own, as in a terminal: the group signal reaches make and
    # the stack, and make passes its own on to the stack.
    make, folder, port = start(["make", "--no-print-directory", "stack"], os.setsid)
    processes = started_processes(make.pid, folder)
    assert len(processes) > 10 and listening(port)
    for _ in range(2):
        os.killpg(make.pid, signal.SIGTERM)
        time.sleep(0.2)
    make.communicate(timeout=90)
    still = sorted(pid for pid in processes if alive(pid))
    assert still == [], [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in still]
    assert not folder.exists()
    assert not listening(port)


def test_sigint_in_the_background_stops_everything():
    def background():  # what `make stack &` does to a child of a non-interactive shell
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    process, folder, port = start([sys.executable, "-m", "scripts.stack"], background)
    assert folder.is_dir() and listening(port)
    options = (folder / "postgres" / "data" / "postmaster.opts").read_text()
    postgres_port = int(re.search(r'"-p" "(\d+)"', options).group(1))
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=90)  # reads what is left and closes the pipe
    assert not folder.exists()
    assert not listening(port) and not listening(postgres_port)
    leftovers = subprocess.run(["pgrep", "-f", str(folder)], capture_output=True, text=True)
    assert leftovers.stdout == "", leftovers.stdout
