"""RFC 8620 section 9.5: "The rate of creation MUST also be limited to minimise the ability to
abuse the verification request as an attack vector." A token bucket per user, in the process
(so with N workers a user may create up to N times as fast, like the request limits)."""

from __future__ import annotations

import time
from collections.abc import Callable

# A burst of this many creations, then one more per REFILL_SECONDS.
BURST = 20
REFILL_SECONDS = 30.0
# Buckets kept at most; full ones (users who did nothing lately) are forgotten first.
MAX_BUCKETS = 10_000


class CreationLimiter:
    def __init__(
        self,
        burst: int = BURST,
        refill_seconds: float = REFILL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._burst = burst
        self._refill = refill_seconds
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # user -> (tokens, at)

    def _tokens(self, user_id: str, now: float) -> float:
        tokens, at = self._buckets.get(user_id, (float(self._burst), now))
        return min(float(self._burst), tokens + (now - at) / self._refill)

    def take(self, user_id: str) -> bool:
        """Spend one creation; False when the user is over the rate."""
        now = self._clock()
        tokens = self._tokens(user_id, now)
        if tokens < 1:
            return False
        self._buckets[user_id] = (tokens - 1, now)
        if len(self._buckets) > MAX_BUCKETS:
            self._forget_full(now)
        return True

    def _forget_full(self, now: float) -> None:
        full = [u for u in self._buckets if self._tokens(u, now) >= self._burst - 1]
        for user_id in full:
            del self._buckets[user_id]
