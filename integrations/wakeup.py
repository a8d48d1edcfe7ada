"""Waking the senders once something is waiting in the outbox.

Every write that leaves a delivery due (a committed event, a test event, a replay, an
endpoint resumed) calls `after_commit()`; no caller has to remember. It imports neither
the services nor the tasks (both import it): the dispatch task is sent by name.
"""

import logging

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from redis.exceptions import RedisError

from lib.broker import publish
from lib.cache import CircuitOpen

from . import sender

logger = logging.getLogger("canvass.integrations")

DISPATCH = "integrations.tasks.dispatch"

# Events that commit close together share one dispatch: the first of each second sends
# it, to run once the others have committed too (a message and a task per submission cost
# takers half their throughput on two cores; docs/benchmarks.md).
GATHER_SECONDS = 1
GATHER_KEY = "integrations:dispatch-gathering"


def after_commit():
    """Have what this transaction leaves waiting sent once it commits (at once outside
    one)."""
    transaction.on_commit(send_soon)


def send_soon():
    """Have what is waiting sent now (within a couple of seconds): by the workers, or
    without a broker by this process's sender thread. Never in the calling request."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        if settings.WEBHOOK_SEND_IN_PROCESS:
            sender.wake()
        return
    try:
        if not cache.add(GATHER_KEY, True, timeout=GATHER_SECONDS):
            return  # a dispatch is due after this event's commit, and will see it
    except CircuitOpen:
        pass  # the cache failed moments ago, and said so
    except RedisError as exc:  # without the cache, every event sends its own
        logger.warning("webhook dispatch not gathered error=%s", exc)
    # Bounded, and skipped while the broker is failing (lib/broker.py): the events are in
    # the outbox, and beat's sweep sends them then.
    publish(current_app.signature(DISPATCH), countdown=GATHER_SECONDS + 1)
