"""Fixed-window counters in the shared cache (Redis in production), for the limits
django-axes doesn't cover: submissions per address, API requests, account actions.

`add` and `incr` are atomic in Redis, so the count is exact across every worker and node.
When the cache can't be reached the limit fails open: the request goes through, a warning
is logged, and /health/ shows the cache failing. A limit must never cost a taker their
submission (docs/operations.md, "When Redis is down").
"""

import logging

from django.core.cache import cache

logger = logging.getLogger("canvass.ratelimit")


def too_many(key, *, limit, window):
    """Count one attempt at `key`; True once more than `limit` fall in the `window` seconds
    that began with the first of them."""
    cache_key = f"ratelimit:{key}"
    try:
        if cache.add(cache_key, 1, timeout=window):
            return limit < 1
        try:
            return cache.incr(cache_key) > limit
        except ValueError:  # expired between add() and incr()
            cache.add(cache_key, 1, timeout=window)
            return limit < 1
    except Exception as exc:  # the cache is down: let the request through, and say so
        logger.warning("rate limit not checked, cache unavailable key=%s error=%s", key, exc)
        return False
