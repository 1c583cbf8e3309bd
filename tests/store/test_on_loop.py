"""A read or write whose caller says the loop has nothing else to do runs on the loop's own
thread; otherwise on a store thread. A write goes to the writer thread, too, while a group is
running and while another process holds the write lock. Either way a write is committed, on
disk, before its caller hears back, and a failing one leaves nothing behind."""

from __future__ import annotations

import asyncio
import fcntl
import os
import sqlite3
import threading
from typing import Any

import pytest
from sqlite_support import sqlite_of

from satchel.http.limiter import CROWD_SECONDS, ConcurrencyLimiter
from satchel.store.base import ReadTxn, Store, WriteTxn
from satchel.store.on_loop import allow_on_loop
from satchel.store.sqlite import SqliteStore


def note(name: str, threads: list[int]) -> Any:
    def write(txn: WriteTxn) -> str:
        threads.append(threading.get_ident())
        txn.create_record("Note", name, {"title": name})
        return name

    return write


def on_disk(store: SqliteStore, account_id: str) -> set[str]:
    conn = sqlite3.connect(store.db_path)  # as another process would see it
    try:
        rows = conn.execute(
            "SELECT id FROM records WHERE account_id = ? AND type = 'Note'", (account_id,)
        )
        return {row[0] for row in rows}
    finally:
        conn.close()


async def test_alone_a_write_runs_on_the_loop_and_is_on_disk(store: Store, account_id: str) -> None:
    threads: list[int] = []
    allow_on_loop(lambda: True)
    assert (await store.write(account_id, note("here", threads)))[0] == "here"
    assert threads == [threading.get_ident()]
    assert on_disk(sqlite_of(store), account_id) == {"here"}


async def test_without_the_api_saying_so_writes_go_to_the_writer(
    store: Store, account_id: str
) -> None:
    threads: list[int] = []
    await store.write(account_id, note("queued", threads))
    allow_on_loop(lambda: False)  # other requests in flight
    await store.write(account_id, note("crowded", threads))
    assert threading.get_ident() not in threads
    assert on_disk(sqlite_of(store), account_id) == {"queued", "crowded"}


async def test_a_failing_inline_write_leaves_nothing(store: Store, account_id: str) -> None:
    allow_on_loop(lambda: True)

    def bad(txn: WriteTxn) -> None:
        txn.create_record("Note", "doomed", {"title": "doomed"})
        raise ValueError("fails after writing")

    with pytest.raises(ValueError, match="fails after writing"):
        await store.write(account_id, bad)
    threads: list[int] = []
    await store.write(account_id, note("after", threads))
    assert threads == [threading.get_ident()]
    assert on_disk(sqlite_of(store), account_id) == {"after"}


async def test_while_the_writer_runs_a_group_the_write_joins_the_queue(
    store: Store, account_id: str
) -> None:
    sqlite_store = sqlite_of(store)
    release = threading.Event()

    def blocker(txn: WriteTxn) -> None:
        txn.create_record("Note", "first", {"title": "first"})
        release.wait(10)

    first = sqlite_store._writer.submit(sqlite_store._write_job(account_id, blocker))
    threads: list[int] = []
    allow_on_loop(lambda: True)
    second = asyncio.ensure_future(store.write(account_id, note("second", threads)))
    await asyncio.sleep(0.05)
    assert not second.done()  # it waits for the group rather than run beside it
    release.set()
    await second
    first.result(5)
    assert threading.get_ident() not in threads
    assert on_disk(sqlite_store, account_id) == {"first", "second"}


async def test_while_another_process_writes_the_write_waits_its_turn(
    store: Store, account_id: str
) -> None:
    sqlite_store = sqlite_of(store)
    lock_path = sqlite_store.db_path.with_name(sqlite_store.db_path.name + "-writer.lock")
    other = os.open(lock_path, os.O_RDWR)  # its own open file: a lock of its own, as a process
    fcntl.flock(other, fcntl.LOCK_EX)
    threads: list[int] = []
    allow_on_loop(lambda: True)
    try:
        pending = asyncio.ensure_future(store.write(account_id, note("later", threads)))
        await asyncio.sleep(0.05)
        assert not pending.done()  # never blocking the loop on the other's lock
    finally:
        fcntl.flock(other, fcntl.LOCK_UN)
        os.close(other)
    await pending
    assert threading.get_ident() not in threads
    assert on_disk(sqlite_store, account_id) == {"later"}


async def test_reads_run_on_the_loop_only_when_alone(store: Store, account_id: str) -> None:
    def thread_of(txn: ReadTxn) -> int:
        txn.type_state(account_id, "Note")
        return threading.get_ident()

    assert await store.read(thread_of) != threading.get_ident()
    alone = [True]
    allow_on_loop(lambda: alone[0])
    assert await store.read(thread_of) == threading.get_ident()
    alone[0] = False
    assert await store.read(thread_of) != threading.get_ident()


async def test_requests_side_by_side_stop_inline_writes_for_a_while() -> None:
    limiter = ConcurrencyLimiter(4, "maxConcurrentRequests")
    with limiter.slot("alice"):
        assert limiter.alone()
        with limiter.slot("bob"):
            assert not limiter.alone()
    with limiter.slot("alice"):
        assert not limiter.alone()  # the crowd has only just gone
        await asyncio.sleep(CROWD_SECONDS * 1.5)
        assert limiter.alone()
    assert limiter.total == 0
