"""Circuit breakers, one per dependency and process: after one failure (a timeout, a
refused connection) this process stops asking for a few seconds, so a frozen Redis costs
each process one short timeout every few seconds, not several per request. When the time
is up the next call tries again; a success keeps it closed, a failure opens it again.

Per process on purpose: a breaker shared through Redis would need the Redis it guards.
"""

import logging
import time

logger = logging.getLogger("canvass.breaker")

OPEN_SECONDS = 5


class Breaker:
    def __init__(self, name, seconds=OPEN_SECONDS):
        self.name = name
        self.seconds = seconds
        self._until = 0.0  # a float assignment is atomic: threads need no lock

    @property
    def is_open(self):
        return time.monotonic() < self._until

    def trip(self, error):
        if not self.is_open:
            logger.warning(
                "%s failing, not asked again for %s s error=%s", self.name, self.seconds, error
            )
        self._until = time.monotonic() + self.seconds


cache = Breaker("cache")
broker = Breaker("broker")
