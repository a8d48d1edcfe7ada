"""The API's throttles, counted like every other limit (lib/ratelimit.py): exactly across
workers and nodes, and open while the cache is down. DRF's own keep a list of request
times that concurrent requests overwrite, so together they let more through."""

from rest_framework import throttling

from lib.ratelimit import too_many


class _Counted:
    def allow_request(self, request, view):
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        return not too_many(key, limit=self.num_requests, window=self.duration)

    def wait(self):
        return self.duration


class AnonRateThrottle(_Counted, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(_Counted, throttling.UserRateThrottle):
    pass
