"""/health/ in-process; tests/stack/ covers it behind NGINX with PostgreSQL stopped."""

import json

import pytest
from django.core.management import call_command
from django.urls import reverse


def get_health(client):
    response = client.get(reverse("health"))
    return response.status_code, json.loads(response.content)


@pytest.mark.django_db
def test_healthy(client):
    status, body = get_health(client)
    assert status == 200
    assert body == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "migrations": "ok"},
    }
    assert "no-store" in client.get(reverse("health"))["Cache-Control"]


@pytest.mark.django_db
def test_unreachable_cache_is_named(client, settings):
    # A real Redis client against a closed port: the connection is refused.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    status, body = get_health(client)
    assert status == 503
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
