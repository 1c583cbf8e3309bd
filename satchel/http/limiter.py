"""Per-user caps on in-flight requests within this process.

RFC 8620 section 2: `maxConcurrentRequests` and `maxConcurrentUpload` are per-user limits; a
request beyond them is refused (section 3.6.1: problem type limit, here with HTTP 429) rather than
queued, so one client cannot starve the others.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from satchel.core.errors import limit_error

# How long requests in flight side by side keep this process from running its store jobs on the
# event loop (store/on_loop.py).
CROWD_SECONDS = 0.1


class ConcurrencyLimiter:
    """Counts in-flight requests per key. Only touched from the event loop, so no lock."""

    def __init__(self, limit: int, limit_name: str) -> None:
        self.limit = limit
        self.limit_name = limit_name
        self._in_flight: dict[str, int] = {}
        self.total = 0  # everyone's
        self._crowded_until = 0.0

    def alone(self) -> bool:
        """One request in flight in this process (the caller's), and none alongside another
        for CROWD_SECONDS: in a busy spell, reads and writes go to the store threads (reads side
        by side, writes sharing commits) even in the gaps where a request is alone, since a job
        run on the loop would hold up the requests right behind it (store/on_loop.py)."""
        return self.total == 1 and time.monotonic() >= self._crowded_until

    def in_flight(self, key: str) -> int:
        return self._in_flight.get(key, 0)

    @contextmanager
    def slot(self, key: str) -> Iterator[None]:
        """Hold one slot for `key`; raises a 429 limit error when all are taken."""
        current = self._in_flight.get(key, 0)
        if current >= self.limit:
            raise limit_error(
                self.limit_name,
                f"too many concurrent requests (the limit is {self.limit})",
                status=429,
            )
        self._in_flight[key] = current + 1
        self.total += 1
        if self.total > 1:
            self._crowded_until = time.monotonic() + CROWD_SECONDS
        try:
            yield
        finally:
            self.total -= 1
            remaining = self._in_flight[key] - 1
            if remaining:
                self._in_flight[key] = remaining
            else:
                del self._in_flight[key]
