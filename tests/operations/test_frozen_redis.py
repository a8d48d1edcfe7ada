"""A Redis frozen by SIGSTOP (it accepts connections and never answers): each call waits a
fraction of a second at most, and after one failure this process stops asking for a few
seconds (lib/breaker.py). Before, a publish waited 5 s per try and /health/ never came
back. A real redis-server on loopback; the whole cluster under load is in
tests/stack/test_webhooks.py."""

import json
import os
import signal
import time

import pytest
from celery import Celery
from django.core.cache import caches
from django.urls import reverse

from lib import breaker, broker
from scripts.stack import RedisServer


@pytest.fixture
def frozen_redis(tmp_path, settings, monkeypatch):
    redis = RedisServer(tmp_path).start()
    settings.CACHES = {
        "default": {
            "BACKEND": "lib.cache.FailOpenRedisCache",
            "LOCATION": redis.url(0),
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        }
    }
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = redis.url(1)
    for each in (breaker.cache, breaker.broker):
        monkeypatch.setattr(each, "_until", 0.0)
    caches["default"].set("warm", 1)  # a connection already open, as in a busy process
    os.kill(redis.process.pid, signal.SIGSTOP)
    try:
        yield redis
    finally:
        os.kill(redis.process.pid, signal.SIGCONT)
        redis.stop()


# An app of its own, not eager as the suite's is: its task is published for real.
probe = Celery("probe", set_as_current=False)


@probe.task
def noop():
    pass


def timed(call):
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


@pytest.mark.django_db
def test_one_short_timeout_then_the_cache_is_not_asked(frozen_redis):
    cache = caches["default"]
    value, first = timed(lambda: cache.get("warm", "missed"))
    assert value == "missed" and first < 0.5
    assert breaker.cache.is_open
    _, then = timed(lambda: [cache.get("warm") for _ in range(100)])
    assert then < 0.05  # not a hundred timeouts


@pytest.mark.django_db
def test_publishing_gives_up_at_once_and_then_skips(frozen_redis):
    sent, first = timed(lambda: broker.publish(noop, countdown=2))
    assert sent is False and first < 1
    sent, then = timed(lambda: broker.publish(noop, countdown=2))
    assert sent is False and then < 0.05


@pytest.mark.django_db
def test_health_says_degraded_within_its_deadline(frozen_redis, client):
    response, seconds = timed(lambda: client.get(reverse("health")))
    body = json.loads(response.content)
    assert response.status_code == 200 and body["status"] == "degraded"
    assert {"cache", "broker"} <= set(body["failing"]) and seconds < 2
