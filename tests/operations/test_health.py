"""/health/ in-process; tests/stack/ covers it behind NGINX with PostgreSQL and Redis
stopped, and with real workers."""

import json

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.urls import reverse

from config import health


def get_health(client):
    response = client.get(reverse("health"))
    return response.status_code, json.loads(response.content)


@pytest.mark.django_db
def test_healthy(client):
    status, body = get_health(client)
    assert status == 200
    assert body == {
        "status": "ok",
        "checks": {
            "database": "ok",
            "migrations": "ok",
            "cache": "ok",
            # No broker configured: tasks run in-process.
            "broker": "in-process",
            "worker": "in-process",
        },
    }
    assert "no-store" in client.get(reverse("health"))["Cache-Control"]


@pytest.mark.django_db
def test_unreachable_cache_is_named_but_the_node_still_serves(client, settings):
    """Redis down: limits fail open and pages come from the database, so a load balancer
    must keep the node (200); the monitor sees "degraded" and the cache named."""
    settings.CACHES = {
        "default": {
            "BACKEND": "lib.cache.FailOpenRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    status, body = get_health(client)
    assert status == 200
    assert body["status"] == "degraded"
    assert body["failing"] == ["cache"]
    assert body["checks"]["database"] == "ok"


@pytest.mark.django_db(transaction=True)
def test_unapplied_migrations_are_named(client):
    call_command("migrate", "sessions", "zero", verbosity=0)
    try:
        status, body = get_health(client)
    finally:
        call_command("migrate", "sessions", verbosity=0)
    assert status == 503
    assert body["failing"] == ["migrations"]
    assert get_health(client)[0] == 200


@pytest.mark.django_db
def test_a_connection_dropped_between_checks_is_the_databases_failure(client, monkeypatch):
    """Found by a fault test: the database answered the first check, the connection dropped,
    and the migrations check failed; the report must name the database."""
    calls = {"n": 0}
    real = health._database

    def first_time_only():
        calls["n"] += 1
        if calls["n"] > 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real()

    def lost(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(health, "_database", first_time_only)
    monkeypatch.setattr(health, "_migrations", lost)
    status, body = get_health(client)
    assert status == 503
    assert body["failing"] == ["database"]
    assert body["checks"]["database"] == "failing" and body["checks"]["migrations"] == "skipped"
