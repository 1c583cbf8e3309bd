"""The SQLite store's reader threads: reads run side by side up to the pool's size, a failure
reaches the one caller it belongs to, a read given up before it started never runs, and a
pool whose connection cannot be opened says so instead of leaving reads waiting."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import pytest

from satchel.store.sqlite_readers import ReaderPool


def pool_of(size: int, initializer: Callable[[], None] = lambda: None) -> ReaderPool:
    return ReaderPool(size, initializer, "test-reader")


async def test_reads_run_side_by_side_up_to_the_size() -> None:
    pool = pool_of(2)
    both = threading.Barrier(2, timeout=5)  # passes only while two reads run at once
    try:
        assert await asyncio.gather(pool.run(both.wait), pool.run(both.wait)) in ([0, 1], [1, 0])
    finally:
        pool.shutdown()


async def test_a_failing_read_fails_only_its_caller() -> None:
    pool = pool_of(1)

    def broken() -> None:
        raise ValueError("no such table")

    try:
        with pytest.raises(ValueError, match="no such table"):
            await pool.run(broken)
        assert await pool.run(lambda: 42) == 42
        assert pool.submit(lambda: "from a thread").result(5) == "from a thread"
    finally:
        pool.shutdown()


async def test_a_read_cancelled_before_it_starts_never_runs() -> None:
    pool = pool_of(1)
    release = threading.Event()
    ran: list[str] = []
    try:
        first = asyncio.ensure_future(pool.run(lambda: release.wait(5)))
        second = asyncio.ensure_future(pool.run(lambda: ran.append("second")))
        await asyncio.sleep(0.05)  # the only thread is busy with the first read
        second.cancel()
        release.set()
        assert await first is True
        assert await pool.run(lambda: "after") == "after"
        assert ran == []
    finally:
        pool.shutdown()


async def test_a_connection_that_cannot_be_opened_fails_each_read() -> None:
    def cannot_open() -> None:
        raise OSError("unable to open database file")

    pool = pool_of(1, cannot_open)
    try:
        for _ in range(2):
            with pytest.raises(OSError, match="unable to open"):
                await pool.run(lambda: "never")
    finally:
        pool.shutdown()


def test_shutdown_runs_what_was_queued_then_refuses() -> None:
    pool = pool_of(1)
    gate = threading.Event()
    first = pool.submit(lambda: gate.wait(5))
    queued = pool.submit(lambda: "queued")
    gate.set()
    pool.shutdown()
    assert first.result(0) is True and queued.result(0) == "queued"
    with pytest.raises(RuntimeError, match="closed"):
        pool.submit(lambda: None)
    pool.shutdown()  # idempotent
