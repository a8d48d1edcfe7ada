"""Sending Celery tasks from a request: at most one short wait, never a stalled taker.

Celery's own publishing waits the broker's socket timeout (seconds, for the workers'
sake) and retries: with a frozen Redis a taker's POST waited 20 s. Here a message goes on
a connection of its own whose every read and write waits REDIS_DEADLINE, with no retry,
and after one failure this process sends nothing for a few seconds (lib/breaker.py).
Only for tasks whose work is found anyway when the message is lost: the webhook outbox
(beat's sweep) and exports (their sweep); the caller says what happens instead.
"""

import logging

from django.conf import settings
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

from lib import breaker

logger = logging.getLogger("canvass.broker")


def publish(task, *args, countdown=None):
    """Send `task`; False when it was not sent (the broker is failing)."""
    if settings.CELERY_TASK_ALWAYS_EAGER:  # no broker: the task runs here and now
        task.apply_async(args, countdown=countdown)
        return True
    if breaker.broker.is_open:
        logger.warning("task %s not sent: the broker failed moments ago", task.name)
        return False
    options = {
        **settings.CELERY_BROKER_TRANSPORT_OPTIONS,
        "socket_connect_timeout": settings.REDIS_DEADLINE,
        "socket_timeout": settings.REDIS_DEADLINE,
        "max_retries": 0,  # kombu's default retries the connection for seconds
    }
    try:
        with task.app.connection_for_write(
            settings.CELERY_BROKER_URL, transport_options=options
        ) as connection:
            task.apply_async(args, countdown=countdown, connection=connection, retry=False)
    except (OperationalError, RedisError, OSError) as exc:
        breaker.broker.trip(exc)
        logger.warning("task %s not sent error=%s", task.name, exc)
        return False
    return True
