"""Whether a write may run on the event loop's own thread rather than the writer's.

A write handed to the writer thread costs two thread wake-ups before its caller sees the answer:
the writer's, then the loop's. When the process has nothing else to do (one API request in
flight) and the writer is idle, the loop may as well run the transaction itself. set_seen at 1
client, paired HTTP runs at two workers: 651 -> 857 requests/s (median of eight pairs), server
CPU 1.12 -> 0.85 ms a request. The loop is blocked for that one transaction, fsync included,
while no other request waits for it; anything that arrives meanwhile is read once it committed.

Under load, writes go to the writer thread, where those that queue up share one commit
(sqlite_writer.py): running them all on the loop cost set_seen at 8 clients a quarter of its
rate. Since an inline write blocks the loop, requests that arrive meanwhile are read one by one
afterwards and may each look alone; so once requests have been in flight side by side, the
process stays off inline writes for a while (`CROWD_SECONDS` in the HTTP layer's limiter). With
10 ms set_seen at 8 clients still lost 9%, with 100 ms nothing.

Only the HTTP API can tell (it counts its requests in flight), so it hands the request's task a
probe (`allow_inline_writes`) that the store asks at the moment of writing. Everything else,
LMTP deliveries and background jobs included, always writes through the writer thread.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

_ALONE: ContextVar[Callable[[], bool] | None] = ContextVar("satchel_inline_writes", default=None)


def allow_inline_writes(alone: Callable[[], bool]) -> None:
    """For the rest of the calling task: its writes may run inline whenever `alone()` says the
    process has nothing else in flight."""
    _ALONE.set(alone)


def inline_write_allowed() -> bool:
    alone = _ALONE.get()
    return alone is not None and alone()
