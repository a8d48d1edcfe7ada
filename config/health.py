"""/health/: is this node able to serve? For uptime monitors and load balancers."""

import logging
import uuid

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache

logger = logging.getLogger("canvass.health")


def _database():
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _cache():
    key, value = f"health:{uuid.uuid4().hex}", uuid.uuid4().hex
    cache.set(key, value, timeout=10)
    if cache.get(key) != value:
        raise RuntimeError("value written to the cache could not be read back")
    cache.delete(key)


def _migrations():
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        raise RuntimeError(f"{len(pending)} migration(s) not applied")


def ping(request):
    """Liveness only: the process answers. /health/ says whether it can serve."""
    return HttpResponse("pong", content_type="text/plain")


CHECKS = {"database": _database, "cache": _cache, "migrations": _migrations}


@never_cache
def health(request):
    results, failing = {}, []
    for name, check in CHECKS.items():
        if failing and name == "migrations":
            # Without a database, "migrations" can only repeat the database's failure.
            results[name] = "skipped"
            continue
        try:
            check()
            results[name] = "ok"
        except Exception as exc:  # a health check reports every failure, whatever its type
            logger.error("health check %s failed: %s", name, exc)
            results[name] = "failing"
            failing.append(name)
    body = {"status": "ok" if not failing else "failing", "checks": results}
    if failing:
        body["failing"] = failing
    return JsonResponse(body, status=503 if failing else 200)
