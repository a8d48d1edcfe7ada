"""Fixed-window counters in the shared cache, for actions django-axes doesn't cover."""

from django.core.cache import cache


def too_many(key, *, limit, window):
    """Count one attempt at `key`; True once more than `limit` fall in the `window` seconds."""
    cache_key = f"ratelimit:{key}"
    if cache.add(cache_key, 1, timeout=window):
        return limit < 1
    try:
        return cache.incr(cache_key) > limit
    except ValueError:  # expired between add() and incr()
        cache.add(cache_key, 1, timeout=window)
        return limit < 1
