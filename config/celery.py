"""Celery: work done outside requests (exports, emails) and on a schedule (beat).

Workers take tasks from Redis (CELERY_BROKER_URL). Without a broker, as in `make run` and
the tests, every task runs in-process the moment it is sent, so a fresh machine needs
neither Redis nor a worker; `make run`'s development server then runs the schedule itself
(config/beat.py).

    celery -A config worker --loglevel=INFO     # as many as you like, on any machine
    celery -A config beat --loglevel=INFO       # exactly one, anywhere
"""

import os
import time

from celery import Celery, signals

from lib.redact import RedactingFormatter

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("canvass")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

HEARTBEAT_KEY = "canvass:worker-heartbeat"


@signals.after_setup_logger.connect
@signals.after_setup_task_logger.connect
def redact_worker_logs(logger, **kwargs):
    """The worker logs through its own handlers, not Django's LOGGING: their lines are
    redacted all the same (a task's error may quote a receipt link)."""
    for handler in logger.handlers:
        if not isinstance(handler.formatter, RedactingFormatter):
            handler.setFormatter(RedactingFormatter(wrapped=handler.formatter))


@app.task(ignore_result=True)
def heartbeat():
    """Beat sends this every HEARTBEAT_SECONDS; a worker running it proves beat, the broker
    and a worker are all alive. /health/ reports how old the last one is."""
    from django.core.cache import cache

    cache.set(HEARTBEAT_KEY, time.time(), timeout=None)
