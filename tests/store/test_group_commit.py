"""Writes that queue up behind a running transaction commit with it: each keeps its own outcome
(a failing write undoes only itself), each gets its own modseq, and every write is on disk,
visible to a brand-new connection, by the time its caller hears back."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from concurrent.futures import Future
from typing import Any

import pytest
from sqlite_support import sqlite_of

from satchel.store.base import Store, WriteTxn
from satchel.store.sqlite import SqliteStore
from satchel.store.waiters import LoopWaiter


def _hold_writer(store: SqliteStore, account_id: str) -> tuple[threading.Event, Future[Any]]:
    """Occupy the writer thread until the returned event is set, so what is submitted meanwhile
    queues up and runs as one group behind it."""
    release = threading.Event()

    def blocker(txn: WriteTxn) -> None:
        txn.create_record("Note", "first", {"title": "first"})
        release.wait(10)

    return release, store._writer.submit(store._write_job(account_id, blocker))


def _titles_on_disk(store: SqliteStore, account_id: str) -> dict[str, int]:
    """What a separate connection (as another process would) sees: id -> updated_modseq."""
    conn = sqlite3.connect(store.db_path)
    try:
        rows = conn.execute(
            "SELECT id, updated_modseq FROM records WHERE account_id = ? AND type = 'Note'"
            " AND destroyed_modseq IS NULL",
            (account_id,),
        ).fetchall()
    finally:
        conn.close()
    return dict(rows)


async def test_a_failing_write_in_a_group_undoes_only_itself(store: Store, account_id: str) -> None:
    sqlite_store = sqlite_of(store)
    release, first = _hold_writer(sqlite_store, account_id)

    def good(name: str) -> Any:
        def write(txn: WriteTxn) -> str:
            txn.create_record("Note", name, {"title": name})
            return name

        return write

    def bad(txn: WriteTxn) -> None:
        txn.create_record("Note", "doomed", {"title": "doomed"})
        raise ValueError("this write fails after writing")

    queued = [
        asyncio.ensure_future(store.write(account_id, good("a"))),
        asyncio.ensure_future(store.write(account_id, bad)),
        asyncio.ensure_future(store.write(account_id, good("b"))),
    ]
    await asyncio.sleep(0.05)  # all three are queued behind the held writer
    release.set()
    results = await asyncio.gather(*queued, return_exceptions=True)
    await asyncio.wrap_future(first)

    assert isinstance(results[1], ValueError)
    (a, a_commit), (b, b_commit) = results[0], results[2]  # type: ignore[misc]
    assert (a, b) == ("a", "b")
    # Each write of the group has its own modseq; the failed one took none.
    assert b_commit.modseq == a_commit.modseq + 1
    on_disk = _titles_on_disk(sqlite_store, account_id)
    assert on_disk == {
        "first": a_commit.modseq - 1,
        "a": a_commit.modseq,
        "b": b_commit.modseq,
    }


async def test_every_concurrent_write_is_on_disk_when_answered(
    store: Store, account_id: str
) -> None:
    sqlite_store = sqlite_of(store)

    async def create(i: int) -> int:
        def write(txn: WriteTxn) -> None:
            txn.create_record("Note", f"n{i}", {"title": str(i)})

        _, commit = await store.write(account_id, write)
        # Answered means committed: a new connection sees it.
        assert f"n{i}" in _titles_on_disk(sqlite_store, account_id)
        return commit.modseq

    modseqs = await asyncio.gather(*(create(i) for i in range(40)))
    assert sorted(modseqs) == list(range(1, 41))


async def test_a_write_cancelled_while_queued_never_runs(store: Store, account_id: str) -> None:
    sqlite_store = sqlite_of(store)
    release, first = _hold_writer(sqlite_store, account_id)
    ran: list[str] = []

    def write(txn: WriteTxn) -> None:
        ran.append("cancelled one")
        txn.create_record("Note", "cancelled", {"title": "x"})

    task = asyncio.ensure_future(store.write(account_id, write))
    await asyncio.sleep(0.05)
    task.cancel()
    await asyncio.sleep(0)
    release.set()
    await asyncio.wrap_future(first)
    with pytest.raises(asyncio.CancelledError):
        await task
    await store.write(account_id, lambda txn: None)  # the writer carries on
    assert ran == []
    assert "cancelled" not in _titles_on_disk(sqlite_store, account_id)


def test_a_write_whose_loop_has_closed_settles_quietly() -> None:
    """The writer thread must survive telling a loop that closed while its write ran (a
    server shutting down): the write stands, nobody is left to hear of it."""
    loop = asyncio.new_event_loop()
    waiter = LoopWaiter(loop)
    loop.close()
    waiter.settle(True, "committed")
    waiter.settle(False, RuntimeError("failed"))
