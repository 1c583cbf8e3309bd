"""Who waits for a job run on a store thread (a write on the writer, a read on a reader), and
how the answer gets back to them.

A caller on the event loop is answered on the loop's own future, set with one
`call_soon_threadsafe`. A concurrent Future wrapped by `asyncio.wrap_future` cost each job a
condition variable, two chained callbacks and ~40 us more of the loop's time (measured on
set_seen at 1 client). A thread without a loop gets a concurrent Future.
"""

from __future__ import annotations

import asyncio
import contextlib
from concurrent.futures import Future
from typing import Any, Protocol


class Waiter(Protocol):
    """Whoever waits for one job: told when it starts and how it ended."""

    def start(self) -> bool:
        """False when the caller gave up (cancelled) before the job began: skip it."""
        ...

    def settle(self, ok: bool, value: Any) -> None:
        """The result (ok) or the exception; only the first settle counts."""
        ...


class ThreadWaiter:
    __slots__ = ("future",)

    def __init__(self) -> None:
        self.future: Future[Any] = Future()

    def start(self) -> bool:
        return self.future.set_running_or_notify_cancel()

    def settle(self, ok: bool, value: Any) -> None:
        _resolve(self.future, ok, value)


class LoopWaiter:
    __slots__ = ("future", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.future: asyncio.Future[Any] = loop.create_future()

    def start(self) -> bool:
        # Read off the loop's thread: a cancel racing with this runs a job nobody awaits, as
        # with a concurrent Future already running.
        return not self.future.cancelled()

    def settle(self, ok: bool, value: Any) -> None:
        # A closed loop has nobody left to tell (a committed write stands).
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(self._settle_here, ok, value)

    def _settle_here(self, ok: bool, value: Any) -> None:
        _resolve(self.future, ok, value)


def _resolve(future: Future[Any] | asyncio.Future[Any], ok: bool, value: Any) -> None:
    """Either kind of future, unless it is done already (cancelled meanwhile, or settled)."""
    if future.done():
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)
