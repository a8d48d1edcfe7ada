"""The production-like stack on loopback, without Docker: PostgreSQL, Redis, two app nodes
(Gunicorn), a Celery worker and beat, NGINX balancing between the nodes.

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


def redis_binary():
    found = shutil.which("redis-server") or next(
        (p for p in ("/usr/bin/redis-server",) if Path(p).exists()), None
    )
    if not found:
        raise MissingService("redis-server not found")
    return found


def _stop(process, timeout=20):
    """Stop a process started in its own session, and everything it started."""
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def kill(process):
    """SIGKILL a process and everything it started: a machine that dies."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def children(pid):
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                pids.append(int(stat.parent.name))
    return sorted(pids)


class RedisServer:
    """A throwaway Redis on a free loopback port; nothing written to disk."""

    def __init__(self, root):
        self.root = Path(root)
        self.port = free_port()
        self.process = None

    def start(self):
        self.root.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                redis_binary(), "--port", str(self.port), "--bind", "127.0.0.1",
                "--dir", str(self.root), "--save", "", "--appendonly", "no",
                "--logfile", str(self.root / "redis.log"),
            ],
            start_new_session=True,
        )  # fmt: skip
        wait_for_port(self.port, self.process)
        return self

    def stop(self):
        _stop(self.process)

    def url(self, db):
        return f"redis://127.0.0.1:{self.port}/{db}"


def render_site_config(**values):
    """deploy/nginx/canvass.conf with its ${...} placeholders filled; NGINX's $vars kept."""
    template = string.Template((ROOT / "deploy" / "nginx" / "canvass.conf").read_text())
    return template.safe_substitute(values)


def upstream_servers(addresses):
    """The upstream block's servers for app nodes at `addresses` (host:port)."""
    return "\n    ".join(
        f"server {address} max_fails=1 fail_timeout=10s;" for address in addresses
    )


class Stack:
    """PostgreSQL, Redis, `nodes` app nodes (a Gunicorn master each, as separate machines
    would run), a Celery worker and beat, and NGINX balancing between the nodes, on free
    loopback ports in a temporary folder."""

    def __init__(self, *, nodes=2, workers=None, celery=True, root=None, env=None):
        """`workers`: Gunicorn workers per node; None keeps deploy/gunicorn.conf.py's
        default. `env`: more settings for every process."""
        self._tmp = None if root else tempfile.TemporaryDirectory(prefix="canvass-stack-")
        self.root = Path(root or self._tmp.name)
        os.chmod(self.root, 0o755)
        self.workers = workers
        self.celery = celery
        self.extra_env = env or {}
        self.logs = self.root / "logs"
        self.static_root = self.root / "static"
        self.https_port = free_port()
        self.http_port = free_port()
        self.node_ports = [free_port() for _ in range(nodes)]
        self.postgres = PostgresCluster(self.root / "postgres")
        self.redis = RedisServer(self.root / "redis")
        self.database_url = self.postgres.url("canvass")
        self.nodes = [None] * nodes  # their Gunicorn masters
        self.worker = self.beat = self.nginx = None
        self.body_limit = None

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
            "SITE_URL": self.url,
            "DATABASE_URL": self.database_url,
            "CACHE_URL": self.redis.url(0),
            **({"CELERY_BROKER_URL": self.redis.url(1)} if self.celery else {}),
            # One folder for every node stands in for the S3 bucket separate machines share.
            "PRIVATE_STORAGE": str(self.root / "private"),
            "STATIC_ROOT": str(self.static_root),
            **({"GUNICORN_WORKERS": str(self.workers)} if self.workers else {}),
            # Emails are files in mail/, as a mail server would take them: not lines in the
            # worker's log, which holds no secret link (lib/redact.py).
            # (django-environ drops the path's first slash: hence four for an absolute one.)
            "EMAIL_URL": os.environ.get("EMAIL_URL", f"filemail:///{self.mail}"),
            **self.extra_env,
        }

    @property
    def mail(self):
        return self.root / "mail"

    def node_log_dir(self, n):
        return self.logs / f"node{n + 1}"

    def manage(self, *args, check=True):
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            check=check,
            capture_output=True,
            text=True,
        )

    def start(self):
        nginx = nginx_binary()
        self.logs.mkdir(parents=True, exist_ok=True)
        self.postgres.start()
        self.postgres.create_database("canvass")
        self.redis.start()
        self.manage("migrate", "--noinput")
        self.manage("collectstatic", "--noinput")
        for n in range(len(self.nodes)):
            self.start_node(n)
        if self.celery:
            self.start_worker()
            self.start_beat()
        self._start_nginx(nginx)
        if self.celery:
            self.wait_for_heartbeat()
        return self

    def wait_for_heartbeat(self, seconds=60):
        """Have a worker beat once now (beat's own first one is HEARTBEAT_SECONDS away) and
        wait until /health/ sees it."""
        self.manage("shell", "-c", "from config.celery import heartbeat; heartbeat.delay()")
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(
                    self.url + "/health/", context=insecure_tls_context(), timeout=5
                ) as response,
            ):
                if b'"worker": "ok"' in response.read():
                    return
            time.sleep(0.5)
        raise RuntimeError("no worker heartbeat reached /health/")

    def start_node(self, n):
        env = {
            **self.env,
            "GUNICORN_BIND": f"127.0.0.1:{self.node_ports[n]}",
            "GUNICORN_LOG_DIR": str(self.node_log_dir(n)),
        }
        self.nodes[n] = subprocess.Popen(
            [VENV_BIN / "gunicorn", "-c", "deploy/gunicorn.conf.py", "config.wsgi:application"],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        wait_for_port(self.node_ports[n], self.nodes[n])

    def _celery(self, *args, log):
        with open(self.logs / log, "ab") as out:
            # Niced as deploy/systemd/canvass-worker.service does: takers come first.
            return subprocess.Popen(
                [
                    "nice",
                    "-n",
                    "10",
                    VENV_BIN / "celery",
                    "-A",
                    "config",
                    *args,
                    "--loglevel=INFO",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def start_worker(self):
        log = self.logs / "celery.worker.log"
        started = log.read_bytes().count(b" ready.") if log.exists() else 0
        self.worker = self._celery(
            "worker", "--concurrency=2", "--hostname=worker@%h", log="celery.worker.log"
        )
        deadline = time.monotonic() + 60
        while log.read_bytes().count(b" ready.") <= started:
            if self.worker.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the Celery worker did not start: see celery.worker.log")
            time.sleep(0.2)

    def start_beat(self):
        schedule = self.root / "celerybeat-schedule"
        self.beat = self._celery("beat", f"--schedule={schedule}", log="celery.beat.log")

    def _write_site(self, nodes):
        folder = self.root / "nginx"
        if self.body_limit is None:  # the nodes' own setting, as an operator renders it
            self.body_limit = self.manage("body_limit").stdout.strip()
        (folder / "canvass.conf").write_text(
            render_site_config(
                SERVER_NAME="127.0.0.1 localhost",
                LISTEN_HTTP=f"127.0.0.1:{self.http_port}",
                LISTEN_HTTPS=f"127.0.0.1:{self.https_port}",
                HTTPS_PORT_SUFFIX=f":{self.https_port}",
                UPSTREAM_SERVERS=upstream_servers(
                    f"127.0.0.1:{self.node_ports[n]}" for n in nodes
                ),
                STATIC_ROOT=self.static_root,
                ERROR_PAGES=ROOT / "deploy" / "nginx",
                TLS_CERTIFICATE=folder / "tls.crt",
                TLS_CERTIFICATE_KEY=folder / "tls.key",
                ACCESS_LOG=self.logs / "nginx.access.log",
                ERROR_LOG=self.logs / "nginx.error.log",
                CLIENT_MAX_BODY_SIZE=self.body_limit,
            )
        )

    def use_nodes(self, nodes):
        """Send traffic to these app nodes only (indexes), by reloading NGINX."""
        self._write_site(nodes)
        self.nginx.send_signal(signal.SIGHUP)
        time.sleep(1)  # new NGINX workers take over; old ones finish their requests

    def _start_nginx(self, nginx):
        folder = self.root / "nginx"
        (folder / "tmp").mkdir(parents=True, exist_ok=True)
        _tls_certificate(folder)
        self._write_site(range(len(self.nodes)))
        site = folder / "canvass.conf"
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
                nginx, "-c", main, "-p", folder, "-e", self.logs / "nginx.error.log",
                "-g", "daemon off;",
            ],
            start_new_session=True,
        )  # fmt: skip
        wait_for_port(self.https_port, self.nginx)

    def gunicorn_worker_pids(self, n=0):
        return children(self.nodes[n].pid)

    def stop(self):
        for process in (self.nginx, *self.nodes, self.beat, self.worker):
            _stop(process)
        self.redis.stop()
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


def _stop_on_signal(signum, frame):
    # Once: `make stack` stopped by a group SIGTERM gets two (make passes its own on), and
    # a second SystemExit would abort the cleanup halfway, leaving nodes, the worker and
    # Redis running with their folder deleted. Each process's stop ends in SIGKILL, so
    # the cleanup is bounded without a second signal.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise SystemExit(128 + signum)


def serve():
    # SIGTERM, and SIGINT even where the shell started us with it ignored (in the
    # background), leave through Stack.__exit__, which stops everything and removes the
    # temporary folder.
    signal.signal(signal.SIGTERM, _stop_on_signal)
    signal.signal(signal.SIGINT, _stop_on_signal)
    with Stack() as stack:
        stack.manage("load_demo_data")
        nodes = ", ".join(f"127.0.0.1:{port}" for port in stack.node_ports)
        print(
            f"\nCanvass as a small cluster on loopback: PostgreSQL, Redis, {len(stack.nodes)} app "
            f"nodes ({nodes}), a Celery worker and beat, NGINX balancing between the nodes:\n"
            f"  {stack.url}/   (self-signed certificate)\n"
            f"  demo login: demo / canvass-demo\n"
            f"  logs: {stack.logs}\n"
            f"  emails sent: {stack.mail}\n"
            f"  folder: {stack.root}\n"
            f"Ctrl+C (or SIGTERM) stops it and removes everything.",
            flush=True,
        )
        while True:
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
