"""Gunicorn settings for Canvass: `gunicorn -c deploy/gunicorn.conf.py config.wsgi`.

Every value can be set from the environment (see .env.example). Reload the code
gracefully with `systemctl reload canvass` (SIGHUP): new workers start before old ones stop.
"""

import contextlib
import os
import sys
from pathlib import Path

from gunicorn.glogging import Logger

# Gunicorn reads this file before it puts the project on the import path; the access log
# redacts with the project's own list of secret links.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from lib.redact import redact

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8001")

# Sync workers: each request holds a worker, so twice the cores keeps both CPUs busy while
# one worker waits on PostgreSQL.
workers = int(os.environ.get("GUNICORN_WORKERS", 2 * (os.cpu_count() or 1)))
threads = int(os.environ.get("GUNICORN_THREADS", 1))

timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak can never take a node down.
max_requests = 2000
max_requests_jitter = 200

# "-" logs to standard output/error instead (containers, where the runtime collects them).
_log_dir = os.environ.get("GUNICORN_LOG_DIR", "/var/log/canvass")
accesslog = "-" if _log_dir == "-" else os.path.join(_log_dir, "gunicorn.access.log")
errorlog = "-" if _log_dir == "-" else os.path.join(_log_dir, "gunicorn.error.log")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Django logs to stderr; this puts those lines in the error log beside Gunicorn's own.
capture_output = True


class LogFolderKeepingLogger(Logger):
    """Gunicorn's logger, which makes the log folder again before it opens the log files:
    if the folder is gone when logrotate asks for a reopen (USR1) or a reload reopens them
    (HUP), Gunicorn would otherwise die on the missing folder. Its access lines are
    redacted."""

    def _make_folders(self, cfg):
        for path in (cfg.errorlog, cfg.accesslog):
            if path and path != "-":
                os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)

    def setup(self, cfg):
        self._make_folders(cfg)
        super().setup(cfg)

    def reopen_files(self):
        # A full or vanished log disk must not take the node down: the reopen's flush
        # raises ENOSPC, and in a signal handler that ends the master or the worker.
        # Serving goes on (into the old file, or nowhere) and logrotate's next USR1
        # tries again.
        try:
            self._make_folders(self.cfg)
            super().reopen_files()
        except OSError as exc:
            message = f"canvass: log files not reopened, serving on: {exc}\n".encode()
            with contextlib.suppress(OSError):  # stderr may be on the same full disk
                os.write(sys.__stderr__.fileno(), message)

    def atoms(self, resp, req, environ, request_time):
        # The access line logs the route, never a secret link's token (lib/redact.py): in
        # the request line, the path, the query and the referer alike.
        return {
            name: redact(value)
            for name, value in super().atoms(resp, req, environ, request_time).items()
        }


logger_class = LogFolderKeepingLogger
# The request id NGINX sent, so one request can be followed through all three logs.
access_log_format = (
    '%(h)s - %(t)s "%(r)s" %(s)s %(B)s "%(f)s" "%(a)s" %(M)sms rid=%({x-request-id}i)s'
)

# NGINX on this machine sets X-Forwarded-Proto; Django reads it (SECURE_PROXY_SSL_HEADER).
forwarded_allow_ips = "127.0.0.1,::1"
proc_name = "canvass"
# Canvass is managed through signals (systemctl reload/restart), not gunicornc.
control_socket_disable = True
