"""Beat inside the development server: without a broker (`make run`), the periodic jobs of
CELERY_BEAT_SCHEDULE run in a daemon thread of runserver's process, so purges, sweeps and
the heartbeat happen as they do on the stack.

Celery's own scheduler reads the one schedule and keeps it in memory; sending a task
without a broker runs it at once (CELERY_TASK_ALWAYS_EAGER), here in this thread. Like
beat, it runs a job first when its interval or crontab time comes, not at start.
"""

import logging
import os
import threading
import time

from celery import beat
from django.conf import settings
from django.db import connections
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django.utils.module_loading import autodiscover_modules

from .celery import app

logger = logging.getLogger("canvass.beat")


def start_in_dev_server():
    """From AppConfig.ready: start the thread in runserver's serving process (the child its
    autoreloader marks with RUN_MAIN), only when no broker takes tasks to a real beat.
    Gunicorn, management commands and the tests never start it."""
    if settings.CELERY_TASK_ALWAYS_EAGER and os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
        threading.Thread(target=run, name="canvass-beat", daemon=True).start()


def scheduler():
    """Celery's in-memory scheduler for CELERY_BEAT_SCHEDULE, with every app's tasks
    module imported, as a worker's autodiscovery does: a task it can't find would be sent
    to the (memory) broker and lost. (Not Celery's import_default_modules, which sets up
    Django and its logging again.)"""
    autodiscover_modules("tasks")
    return beat.Scheduler(app)


def run():
    jobs = scheduler()
    logger.info("periodic jobs run in this process (no broker): %s", ", ".join(jobs.schedule))
    while True:
        time.sleep(tick(jobs))


def tick(scheduler):
    """Run the next job if it is due (a job that fails is logged by Celery's scheduler);
    return the seconds to wait before the next tick."""
    try:
        return max(scheduler.tick(), 0)  # it allows itself 10 ms of drift, below zero too
    except Exception:  # the thread must outlive one bad tick; the next tries again
        logger.exception("in-process beat failed")
        return scheduler.max_interval
    finally:
        connections.close_all()  # this thread's own; a job never holds one between ticks
