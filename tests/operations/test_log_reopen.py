"""logrotate's USR1 while the log disk is full: Gunicorn's master and workers keep serving
and when the log folder has vanished (deploy/gunicorn.conf.py). A real Gunicorn on
loopback with its log folder on a tiny tmpfs, filled up, or deleted."""

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from scripts.stack import ROOT, children, free_port, wait_for_port


@pytest.fixture
def full_disk(tmp_path):
    mount = tmp_path / "logs"
    mount.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], capture_output=True
    )
    if result.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(folder):
    """No byte more fits: a filler file, then each log's last page to its end (tmpfs
    hands out whole pages, so a log could grow a little into its own)."""
    for path, chunk in [(folder / "filler", 4096), *((p, 1) for p in folder.glob("*.log"))]:
        with contextlib.suppress(OSError), open(path, "ab", buffering=0) as file:
            while True:
                file.write(b"\n" * chunk)


def _pong(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping/", timeout=5) as response:
        return response.read()


@contextlib.contextmanager
def gunicorn_logging_to(folder):
    port = free_port()
    env = {
        **os.environ,
        "DEBUG": "true",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
        "GUNICORN_LOG_DIR": str(folder),
    }
    gunicorn = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "config.wsgi"],
        cwd=ROOT,
        env=env,
    )
    try:
        wait_for_port(port, gunicorn)
        deadline = time.monotonic() + 30
        while len(children(gunicorn.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)  # the port answers once the first worker is up
        yield gunicorn, port
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=30)


def test_usr1_on_a_full_log_disk_keeps_every_process_serving(full_disk):
    with gunicorn_logging_to(full_disk) as (gunicorn, port):
        assert _pong(port) == b"pong"
        workers = children(gunicorn.pid)
        assert len(workers) == 2
        _fill(full_disk)
        for _ in range(3):  # logrotate, and an operator trying again
            for _ in range(6):
                # Access lines with nowhere to go: they wait in the log file's buffer,
                # which the reopen then has to flush.
                assert _pong(port) == b"pong"
            gunicorn.send_signal(signal.SIGUSR1)
            time.sleep(0.5)
        time.sleep(1)
        assert gunicorn.poll() is None, "the master died"
        assert children(gunicorn.pid) == workers, "workers died and were replaced"
        # The disk has room again: the next reopen writes the logs again.
        (full_disk / "filler").unlink()
        gunicorn.send_signal(signal.SIGUSR1)
        time.sleep(1)
        assert _pong(port) == b"pong"
        assert gunicorn.poll() is None


def test_usr1_after_the_log_folder_vanished_keeps_every_process_serving(tmp_path):
    folder = tmp_path / "logs"
    folder.mkdir()
    with gunicorn_logging_to(folder) as (gunicorn, port):
        workers = children(gunicorn.pid)
        assert _pong(port) == b"pong"
        shutil.rmtree(folder)  # an unmounted volume, a careless cleanup
        for _ in range(2):
            gunicorn.send_signal(signal.SIGUSR1)
            time.sleep(0.5)
            assert _pong(port) == b"pong"
        assert gunicorn.poll() is None, "the master died"
        assert children(gunicorn.pid) == workers, "workers died and were replaced"
        # The reopen made the folder again, and the logs go on there.
        assert _pong(port) == b"pong"
        time.sleep(0.5)
        assert (folder / "gunicorn.access.log").read_text().count("/ping/") >= 1
