"""The reader threads of a SQLite store: reads too slow for the event loop (queries, Email/get)
run here, on each thread's own connection, in parallel with the loop (SQLite lets go of the GIL
while it steps).

A pool of our own rather than `ThreadPoolExecutor`: a read from the loop is answered on the
loop's own future (waiters.py), where the executor's concurrent Future, wrapped for the loop,
cost every read a condition variable and two chained callbacks on the loop's thread.

Threads start as reads need them, up to `size`, each opening its connection first
(`initializer`); one whose connection cannot be opened answers every read it takes with that
error rather than leaving it waiting.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from satchel.store.waiters import LoopWaiter, ThreadWaiter, Waiter

# (a read, who waits for it); None asks one thread to stop.
_Item = tuple[Callable[[], Any], Waiter]


class ReaderPool:
    def __init__(self, size: int, initializer: Callable[[], None], name: str) -> None:
        self._size = size
        self._initializer = initializer
        self._name = name
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._idle = threading.Semaphore(0)  # released by each thread that finishes a read
        self._lock = threading.Lock()
        self._closed = False

    def submit(self, read: Callable[[], Any]) -> Future[Any]:
        """Queue `read` from any thread; its Future resolves when it has run."""
        waiter = ThreadWaiter()
        self._put((read, waiter))
        return waiter.future

    async def run(self, read: Callable[[], Any]) -> Any:
        """Queue `read` from the event loop and wait for its result."""
        waiter = LoopWaiter(asyncio.get_running_loop())
        self._put((read, waiter))
        return await waiter.future

    def _put(self, item: _Item) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("the store is closed")
            self._queue.put(item)
            # A thread that has finished a read is waiting for this one, unless another read
            # took it: start another while there are fewer than `size`.
            if not self._idle.acquire(blocking=False) and len(self._threads) < self._size:
                thread = threading.Thread(
                    target=self._serve, name=f"{self._name}_{len(self._threads)}", daemon=True
                )
                thread.start()
                self._threads.append(thread)

    def _serve(self) -> None:
        failure: BaseException | None = None
        try:
            self._initializer()
        except BaseException as error:
            failure = error
        while True:
            item = self._queue.get()
            if item is None:
                return
            read, waiter = item
            del item
            if waiter.start():
                if failure is not None:
                    waiter.settle(False, failure)
                else:
                    try:
                        value = read()
                    except BaseException as error:
                        waiter.settle(False, error)
                    else:
                        waiter.settle(True, value)
                        del value
            del read, waiter  # hold nothing of a finished read while waiting for the next
            self._idle.release()

    def shutdown(self) -> None:
        """Run what was queued, then stop every thread. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for _ in self._threads:
                self._queue.put(None)
        for thread in self._threads:
            thread.join()
