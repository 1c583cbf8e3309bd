"""The one writer thread of a SQLite store, committing in groups.

Every write transaction of the process runs on this thread, on its one connection. With
`synchronous=FULL` each COMMIT costs an fsync of the WAL, far more than a small transaction's own
work, so writes that queue up while a transaction runs join it: each runs inside its own
savepoint (a failure rolls back only that write, and only its caller sees the error), and they
share one COMMIT. Nobody's future resolves before that COMMIT returns, so "acknowledged means
durable" holds for every write of the group; if the COMMIT fails, every write of the group fails.

The group is bounded (`MAX_GROUP` writes, `GROUP_BUDGET` seconds of work) because it holds the
database's write lock, which writers in other processes are waiting for. They wait on an flock
of a file beside the database, taken before BEGIN and dropped after COMMIT: the kernel wakes the
next process the moment the lock is free, where polling BEGIN IMMEDIATE (SQLite's busy handler)
oversleeps by as much as a whole commit. BEGIN IMMEDIATE still guards against writers that do
not take the flock (an older Satchel, the sqlite3 shell).

A write from the event loop (`run`) is answered on the loop's own future (see waiters.py);
threads without a loop (`submit`) get a concurrent Future. A write whose caller says the loop has
nothing else to do may run on the loop's thread instead, when the writer is idle as well
(`run(here_if_idle=True)`, see on_loop.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from satchel.store.waiters import LoopWaiter, ThreadWaiter, Waiter

MAX_GROUP = 32
GROUP_BUDGET = 0.02


# (run a write on the connection, who waits for it); None asks the thread to stop.
_Item = tuple[Callable[[], Any], Waiter]


class GroupCommitWriter:
    """Runs write functions on one thread and connection, committing queued ones together.

    `begin(conn)` opens the transaction (taking the write lock); each submitted function runs
    inside it and returns its result; the writer COMMITs."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        begin: Callable[[sqlite3.Connection], None],
        lock_path: Path,
    ):
        self._conn = conn
        self._begin = begin
        self._lock_fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._closed = False
        self._lock = threading.Lock()
        # Held while a transaction runs on the connection: by the writer thread for each group,
        # by the loop's thread for a write it runs itself (`run(here_if_idle=True)`).
        self._busy = threading.Lock()
        self.thread = threading.Thread(target=self._serve, name="satchel-db-writer", daemon=True)
        self.thread.start()

    def submit(self, fn: Callable[[], Any]) -> Future[Any]:
        """Queue `fn`; its Future resolves once its group has committed."""
        waiter = ThreadWaiter()
        self._put((fn, waiter))
        return waiter.future

    async def run(self, fn: Callable[[], Any], *, here_if_idle: bool = False) -> Any:
        """Queue `fn` from the event loop and wait until its group has committed.

        With `here_if_idle`, the caller says nothing else waits for this loop: if the writer is
        idle too (nothing queued, no group running, no other process writing), `fn` runs here,
        as a transaction of its own, instead of waiting for the writer thread to wake and then
        for the loop to wake again (see on_loop.py)."""
        if here_if_idle:
            done = self._try_here(fn)
            if done is not None:
                ok, value = done
                if ok:
                    return value
                raise value
        waiter = LoopWaiter(asyncio.get_running_loop())
        self._put((fn, waiter))
        return await waiter.future

    def _try_here(self, fn: Callable[[], Any]) -> tuple[bool, Any] | None:
        """(ok, result or exception) of `fn` run on this thread, or None if the writer or
        another process is writing (then it goes to the queue as usual)."""
        if not self._queue.empty() or not self._busy.acquire(blocking=False):
            return None
        try:
            if self._closed:
                return None  # `_put` says so
            try:
                fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return None
            try:
                return self._alone(fn)
            finally:
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
        finally:
            self._busy.release()

    def _alone(self, fn: Callable[[], Any]) -> tuple[bool, Any] | None:
        """`fn` as its own transaction: no savepoint, a failure rolls all of it back. One
        attempt at the write lock; a writer outside Satchel holding it sends `fn` to the queue
        rather than keep this thread waiting."""
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            return None
        try:
            result = fn()
            conn.execute("COMMIT")
        except BaseException as error:
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            if not isinstance(error, Exception):
                raise
            return False, error
        return True, result

    def _put(self, item: _Item) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("the store is closed")
            self._queue.put(item)

    def shutdown(self) -> None:
        """Run what was submitted, then stop the thread. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(None)
        self.thread.join()
        with self._busy:  # a write running on the loop's thread finishes first
            os.close(self._lock_fd)

    def _serve(self) -> None:
        while True:
            item = self._queue.get()
            if item is None or not self._group(item):
                return

    def _group(self, first: _Item) -> bool:
        """Run `first` and whatever queues up behind it as one transaction; False once asked
        to stop. Callers hear back once the locks are let go, so that one answered can write
        again at once (on its loop's thread, see `run`)."""
        outcomes: list[tuple[Waiter, bool, Any]] = []
        try:
            with self._busy:
                fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
                try:
                    return self._group_locked(first, outcomes)
                finally:
                    fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
        finally:
            for waiter, ok, value in outcomes:
                waiter.settle(ok, value)

    def _group_locked(self, first: _Item, outcomes: list[tuple[Waiter, bool, Any]]) -> bool:
        """Fills `outcomes` with (waiter, ok, result or exception) for everyone it took."""
        conn = self._conn
        ran: list[tuple[Waiter, bool, Any]] = []
        keep_serving = True
        item: _Item | None = first
        try:
            self._begin(conn)
            deadline = time.monotonic() + GROUP_BUDGET
            while item is not None:
                fn, waiter = item
                if waiter.start():
                    ran.append((waiter, *self._one(fn)))
                if len(ran) >= MAX_GROUP or time.monotonic() > deadline:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    keep_serving = False
            conn.execute("COMMIT")
        except BaseException as error:
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            outcomes.extend((waiter, False, error) for waiter, _, _ in ran)
            if item is not None:
                outcomes.append((item[1], False, error))  # no-op if it ran (settled above)
            if not isinstance(error, Exception):
                raise
            return keep_serving
        outcomes.extend(ran)
        return keep_serving

    def _one(self, fn: Callable[[], Any]) -> tuple[bool, Any]:
        """Run one write in its own savepoint: its failure undoes only its own changes."""
        conn = self._conn
        conn.execute("SAVEPOINT satchel_write")
        try:
            result = fn()
        except Exception as error:
            conn.execute("ROLLBACK TO satchel_write")
            conn.execute("RELEASE satchel_write")
            return False, error
        conn.execute("RELEASE satchel_write")
        return True, result
