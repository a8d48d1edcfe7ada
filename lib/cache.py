"""Django's Redis cache, for which an unreachable Redis is only a cache miss.

Canvass caches what it can rebuild (survey structure, the answer form's HTML): while Redis
is down those reads and writes fail open, with a warning, and pages are built from the
database. Counters (`add`, `incr`) still raise: lib/ratelimit.py decides what a failure
means for a limit. /health/ reports the cache failing meanwhile.
"""

import logging

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger("canvass.cache")


def _fail_open(name, default=None):
    method = getattr(RedisCache, name)

    def call(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except RedisError as exc:
            logger.warning("cache %s failed, carrying on without it: %s", name, exc)
            return default

    call.__name__ = name
    return call


class FailOpenRedisCache(RedisCache):
    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except RedisError as exc:
            logger.warning("cache get failed, carrying on without it: %s", exc)
            return default

    get_many = _fail_open("get_many", {})
    set = _fail_open("set")
    set_many = _fail_open("set_many", [])
    touch = _fail_open("touch", False)
    delete = _fail_open("delete", False)
    delete_many = _fail_open("delete_many")
    has_key = _fail_open("has_key", False)
