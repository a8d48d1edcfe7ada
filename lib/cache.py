"""Django's Redis cache, for which an unreachable or frozen Redis is only a cache miss.

Canvass caches what it can rebuild (survey structure, the answer form's HTML): while Redis
is down those reads and writes fail open, with a warning, and pages are built from the
database. Counters (`add`, `incr`) still raise: lib/ratelimit.py decides what a failure
means for a limit. /health/ reports the cache failing meanwhile.

Every call is bounded by the socket timeouts in config/settings.py (a fraction of a
second, reads on an open connection included), and after one failure this process skips
Redis for a few seconds (lib/breaker.py): a frozen Redis costs a request at most one
timeout, and most requests none.
"""

import logging

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

from lib import breaker

logger = logging.getLogger("canvass.cache")


class CircuitOpen(RedisError):
    """A call not made: Redis failed in this process moments ago."""


def _attempt(name, call, *, default=None, fail_open=True):
    try:
        if breaker.cache.is_open:
            raise CircuitOpen(f"not asked: failed less than {breaker.cache.seconds} s ago")
        return call()
    except RedisError as exc:
        if not isinstance(exc, CircuitOpen):
            breaker.cache.trip(exc)
        if not fail_open:
            raise
        logger.warning("cache %s failed, carrying on without it: %s", name, exc)
        return default


def _guarded(name, default=None, *, fail_open=True):
    method = getattr(RedisCache, name)

    def call(self, *args, **kwargs):
        return _attempt(
            name, lambda: method(self, *args, **kwargs), default=default, fail_open=fail_open
        )

    call.__name__ = name
    return call


class FailOpenRedisCache(RedisCache):
    def get(self, key, default=None, version=None):
        # get's own default on failure: get_or_set passes a sentinel to tell a miss
        return _attempt(
            "get",
            lambda: super(FailOpenRedisCache, self).get(key, default, version),
            default=default,
        )

    get_many = _guarded("get_many", {})
    set = _guarded("set")
    set_many = _guarded("set_many", [])
    touch = _guarded("touch", False)
    delete = _guarded("delete", False)
    delete_many = _guarded("delete_many")
    has_key = _guarded("has_key", False)
    add = _guarded("add", fail_open=False)
    incr = _guarded("incr", fail_open=False)
