"""Whether a store job may run on the event loop's own thread rather than on a store thread.

A read handed to a reader thread, or a write to the writer, costs two thread wake-ups before its
caller sees the answer: the store thread's, then the loop's. When the process has nothing else
to do (one API request in flight), the loop may as well run the job itself. Paired HTTP runs at
two workers, 1 client (medians of six to eight pairs):
- set_seen: 651 -> 857 requests/s, server CPU 1.12 -> 0.85 ms a request;
- query_text 1042 -> 1204, changes 1128 -> 1379, query_get 442 -> 479.
The loop is blocked for that one job, a write's fsync included, while no other request waits
for it; anything that arrives meanwhile is read once it is done. A write also needs the writer
idle (sqlite_writer.py `run`).

Under load, jobs go to the store threads: reads then run side by side, and writes that queue up
share one commit (running every write on the loop cost set_seen at 8 clients a quarter of its
rate). A busy spell has gaps in which a request finds itself alone, and a job it ran on the loop
would hold up the requests right behind it; so once requests have been in flight side by side,
the process keeps off the loop for a while (`CROWD_SECONDS` in the HTTP layer's limiter). With
10 ms set_seen at 8 clients still lost 9%, with 100 ms nothing.

Only the HTTP API can tell (it counts its requests in flight), so it hands the request's task a
probe (`allow_on_loop`) that the store asks at the moment of reading or writing. Everything
else, LMTP deliveries and background jobs included, always goes through the store threads.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

_ALONE: ContextVar[Callable[[], bool] | None] = ContextVar("satchel_on_loop", default=None)


def allow_on_loop(alone: Callable[[], bool]) -> None:
    """For the rest of the calling task: its store jobs may run on the loop whenever `alone()`
    says the process has nothing else in flight."""
    _ALONE.set(alone)


def on_loop_allowed() -> bool:
    alone = _ALONE.get()
    return alone is not None and alone()
