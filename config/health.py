"""/health/: is this node able to serve? For uptime monitors and load balancers.

The answer is 503 only when this node can't serve requests at all: the database is
unreachable or migrations are missing. The shared cache (Redis), the broker and the
workers can be down while takers still answer (limits fail open, exports wait): then the
answer is 200 with "status": "degraded" and the failing parts named, so a load balancer
keeps the node and a monitor still raises the alarm.
"""

import logging
import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from kombu import Connection

from config.celery import HEARTBEAT_KEY
from lib import breaker

logger = logging.getLogger("canvass.health")

# A worker is missing when beat's heartbeat task hasn't run for this many beats.
HEARTBEATS_MISSED = 3


def _database():
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _migrations():
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        raise RuntimeError(f"{len(pending)} migration(s) not applied")


def _cache():
    key, value = f"health:{uuid.uuid4().hex}", uuid.uuid4().hex
    cache.set(key, value, timeout=10)
    if cache.get(key) != value:
        raise RuntimeError("value written to the cache could not be read back")
    cache.delete(key)


def _broker():
    """Bounded like a request's publishing (lib/broker.py): a frozen broker accepts the
    connection and never answers, and a check without a read timeout never came back."""
    if breaker.broker.is_open:
        raise RuntimeError("failed in this process moments ago")
    deadline = 2 * settings.REDIS_DEADLINE
    options = {"socket_connect_timeout": deadline, "socket_timeout": deadline, "max_retries": 0}
    try:
        with Connection(
            settings.CELERY_BROKER_URL, connect_timeout=deadline, transport_options=options
        ) as connection:
            connection.default_channel  # noqa: B018 - connects, and opening it asks the broker
    except Exception as exc:
        breaker.broker.trip(exc)
        raise


def _worker():
    """Seconds since a worker last ran beat's heartbeat task."""
    beat = cache.get(HEARTBEAT_KEY)
    if beat is None:
        raise RuntimeError("no worker heartbeat yet")
    age = time.time() - beat
    if age > HEARTBEATS_MISSED * settings.HEARTBEAT_SECONDS:
        raise RuntimeError(f"last worker heartbeat {age:.0f} s ago")
    return round(age, 1)


def ping(request):
    """Liveness only: the process answers. /health/ says whether it can serve."""
    return HttpResponse("pong", content_type="text/plain")


def _run(name, check, results, failing):
    try:
        value = check()
    except Exception as exc:  # a health check reports every failure, whatever its type
        logger.error("health check %s failed: %s", name, exc)
        results[name] = "failing"
        failing.append(name)
        return None
    results[name] = "ok"
    return value


def _database_alive():
    try:
        _database()
    except Exception:
        return False
    return True


@never_cache
def health(request):
    results, failing, body = {}, [], {}
    _run("database", _database, results, failing)
    if not failing:
        _run("migrations", _migrations, results, failing)
        if failing and not _database_alive():
            # The connection dropped between the two checks: the database failed.
            failing[:] = ["database"]
            results["database"] = "failing"
    if "database" in failing:
        results["migrations"] = "skipped"  # without a database it can only repeat that
    critical = bool(failing)
    _run("cache", _cache, results, failing)
    if settings.CELERY_TASK_ALWAYS_EAGER:
        results["broker"] = results["worker"] = "in-process"
    else:
        _run("broker", _broker, results, failing)
        age = _run("worker", _worker, results, failing)
        if age is not None:
            body["workerHeartbeatSeconds"] = age
    status = "failing" if critical else "degraded" if failing else "ok"
    body = {"status": status, "checks": results, **body}
    if failing:
        body["failing"] = failing
    return JsonResponse(body, status=503 if critical else 200)
