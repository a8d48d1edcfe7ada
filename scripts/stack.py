"""The production-like stack on loopback, without Docker: PostgreSQL, Gunicorn, NGINX.

    python -m scripts.stack                       # `make stack`: start, print the URL, wait
    python -m scripts.stack postgres -- CMD ...   # run CMD with DATABASE_URL set to a
                                                  # throwaway PostgreSQL cluster

Everything lives in a temporary folder and is removed on exit. The integration tests use
these same classes, so what they test is what `make stack` runs.
"""

import contextlib
import glob
import os
import pwd
import random
import shutil
import signal
import socket
import ssl
import string
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
IS_ROOT = os.geteuid() == 0


class MissingService(RuntimeError):
    """A program the stack needs is not installed."""


# Below Linux's range for outgoing connections (32768-60999), so no client's source port
# can take a port between the moment it is chosen and the moment its server binds it.
PORT_RANGE = range(20000, 32000)
_ports_given = set()
_ports_lock = threading.Lock()


def free_port():
    """A loopback port nothing listens on, never the same one twice in this process."""
    with _ports_lock:
        while True:
            port = random.choice(PORT_RANGE)
            if port in _ports_given:
                continue
            with socket.socket() as sock:
                try:
                    sock.bind(("127.0.0.1", port))
                except OSError:
                    continue
            _ports_given.add(port)
            return port


def wait_for_port(port, process=None, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before listening")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {seconds} s")


def postgres_bindir():
    configured = os.environ.get("PG_BINDIR")
    candidates = [configured] if configured else []
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for bindir in candidates:
        if bindir and Path(bindir, "initdb").exists():
            return Path(bindir)
    raise MissingService("PostgreSQL server binaries (initdb, pg_ctl) not found")


def nginx_binary():
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None
    )
    if not found:
        raise MissingService("nginx not found")
    return found


class PostgresCluster:
    """A throwaway PostgreSQL cluster on a free loopback port, owned by `postgres` under root
    (PostgreSQL refuses to run as root)."""

    def __init__(self, root, *, durable=True):
        self.bindir = postgres_bindir()
        self.root = Path(root)
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.port = free_port()
        self.durable = durable

    def _run(self, *args, **kwargs):
        prefix = ["runuser", "-u", "postgres", "--"] if IS_ROOT else []
        return subprocess.run(
            [*prefix, *map(str, args)], check=True, capture_output=True, text=True, **kwargs
        )

    def start(self):
        self.root.mkdir(parents=True, exist_ok=True)
        if IS_ROOT:
            postgres = pwd.getpwnam("postgres")
            os.chown(self.root, postgres.pw_uid, postgres.pw_gid)
        if not self.data.exists():
            self._run(
                self.bindir / "initdb",
                "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                "--no-locale", "--no-sync",
            )  # fmt: skip
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        if not self.durable:
            # Test databases are thrown away: skip the flushes that make commits durable.
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run(
            self.bindir / "pg_ctl", "-D", self.data, "-l", self.log, "-o", options, "-w", "start"
        )
        return self

    def stop(self):
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run(self.bindir / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")

    def create_database(self, name):
        self._run(
            self.bindir / "createdb", "-h", "127.0.0.1", "-p", self.port, "-U", "postgres", name
        )

    def url(self, name):
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"


def _tls_certificate(folder):
    cert, key = folder / "tls.crt", folder / "tls.key"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def render_site_config(**values):
    """deploy/nginx/canvass.conf with its ${...} placeholders filled; NGINX's $vars kept."""
    template = string.Template((ROOT / "deploy" / "nginx" / "canvass.conf").read_text())
    return template.safe_substitute(values)


class Stack:
    """PostgreSQL + Gunicorn + NGINX on free loopback ports in a temporary folder."""

    def __init__(self, *, workers=None, root=None):
        """`workers`: Gunicorn worker processes; None keeps deploy/gunicorn.conf.py's default."""
        self._tmp = None if root else tempfile.TemporaryDirectory(prefix="canvass-stack-")
        self.root = Path(root or self._tmp.name)
        os.chmod(self.root, 0o755)
        self.workers = workers
        self.logs = self.root / "logs"
        self.static_root = self.root / "static"
        self.https_port = free_port()
        self.http_port = free_port()
        self.gunicorn_port = free_port()
        self.postgres = PostgresCluster(self.root / "postgres")
        self.database_url = self.postgres.url("canvass")
        self.gunicorn = None
        self.nginx = None

    @property
    def url(self):
        return f"https://127.0.0.1:{self.https_port}"

    @property
    def env(self):
        return {
            **os.environ,
            "DEBUG": "false",
            "HTTPS": "true",
            "SECRET_KEY": "stack-only-secret-key-" + "x" * 40,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": self.database_url,
            "STATIC_ROOT": str(self.static_root),
            "GUNICORN_BIND": f"127.0.0.1:{self.gunicorn_port}",
            "GUNICORN_LOG_DIR": str(self.logs),
            **({"GUNICORN_WORKERS": str(self.workers)} if self.workers else {}),
        }

    def manage(self, *args):
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        )

    def start(self):
        nginx = nginx_binary()
        self.logs.mkdir(parents=True, exist_ok=True)
        self.postgres.start()
        self.postgres.create_database("canvass")
        self.manage("migrate", "--noinput")
        self.manage("collectstatic", "--noinput")
        self.start_gunicorn()
        self._start_nginx(nginx)
        return self

    def start_gunicorn(self):
        self.gunicorn = subprocess.Popen(
            [VENV_BIN / "gunicorn", "-c", "deploy/gunicorn.conf.py", "config.wsgi:application"],
            cwd=ROOT,
            env=self.env,
        )
        wait_for_port(self.gunicorn_port, self.gunicorn)

    def _start_nginx(self, nginx):
        folder = self.root / "nginx"
        (folder / "tmp").mkdir(parents=True, exist_ok=True)
        cert, key = _tls_certificate(folder)
        site = folder / "canvass.conf"
        site.write_text(
            render_site_config(
                SERVER_NAME="127.0.0.1 localhost",
                LISTEN_HTTP=f"127.0.0.1:{self.http_port}",
                LISTEN_HTTPS=f"127.0.0.1:{self.https_port}",
                HTTPS_PORT_SUFFIX=f":{self.https_port}",
                UPSTREAM=f"127.0.0.1:{self.gunicorn_port}",
                STATIC_ROOT=self.static_root,
                TLS_CERTIFICATE=cert,
                TLS_CERTIFICATE_KEY=key,
                ACCESS_LOG=self.logs / "nginx.access.log",
                ERROR_LOG=self.logs / "nginx.error.log",
            )
        )
        temp = folder / "tmp"
        main = folder / "nginx.conf"
        main.write_text(
            f"""
{"user root;" if IS_ROOT else ""}
worker_processes 2;
pid {folder}/nginx.pid;
error_log {self.logs}/nginx.error.log;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {site};
}}
"""
        )
        self.nginx = subprocess.Popen(
            [
                nginx,
                "-c",
                main,
                "-p",
                folder,
                "-e",
                self.logs / "nginx.error.log",
                "-g",
                "daemon off;",
            ]
        )
        wait_for_port(self.https_port, self.nginx)

    def gunicorn_worker_pids(self):
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError):
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == self.gunicorn.pid:
                    pids.append(int(stat.parent.name))
        return sorted(pids)

    def stop(self):
        for process in (self.nginx, self.gunicorn):
            if process and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        self.postgres.stop()
        if self._tmp:
            self._tmp.cleanup()

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc):
        self.stop()


def insecure_tls_context():
    """For loopback clients of the stack's self-signed certificate."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def run_with_postgres(command):
    """Run `command` with DATABASE_URL pointing at a fresh throwaway cluster."""
    try:
        bindir = postgres_bindir()
    except MissingService as exc:
        if os.environ.get("CI", "").lower() == "true":
            print(f"{exc}; CI=true requires it.", file=sys.stderr)
            return 1
        print(f"{exc}: the PostgreSQL pass is not run on this machine.", file=sys.stderr)
        return 0
    with tempfile.TemporaryDirectory(prefix="canvass-pg-") as tmp:
        os.chmod(tmp, 0o755)
        cluster = PostgresCluster(Path(tmp) / "postgres", durable=False)
        print(f"PostgreSQL from {bindir} on 127.0.0.1:{cluster.port}", file=sys.stderr)
        cluster.start()
        try:
            cluster.create_database("canvass")
            env = {**os.environ, "DATABASE_URL": cluster.url("canvass")}
            return subprocess.run(command, cwd=ROOT, env=env).returncode
        finally:
            cluster.stop()


def serve():
    with Stack() as stack:
        stack.manage("load_demo_data")
        print(
            f"\nCanvass production-like stack (PostgreSQL, Gunicorn, NGINX):\n"
            f"  {stack.url}/   (self-signed certificate)\n"
            f"  demo login: demo / canvass-demo\n"
            f"  logs: {stack.logs}\n"
            f"Ctrl+C stops it and removes everything.",
            flush=True,
        )
        with contextlib.suppress(KeyboardInterrupt):
            urllib.request.urlopen(stack.url + "/health/", context=insecure_tls_context())
            signal.pause()


def main(argv):
    if argv[:1] == ["postgres"]:
        command = argv[2:] if argv[1:2] == ["--"] else argv[1:]
        return run_with_postgres(command)
    if argv:
        print(__doc__, file=sys.stderr)
        return 2
    serve()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
