"""`read_now_memo`: a remembered read is only ever the read itself; any commit, by this process's
writer or by another process, makes the next call read again."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import cast

from satchel.store.base import ReadTxn, Store, WriteTxn
from satchel.store.sqlite import SqliteStore


def counting_read(store: Store, account_id: str) -> tuple[list[int], Callable[[], int]]:
    calls: list[int] = []

    def read(txn: ReadTxn) -> int:
        calls.append(1)
        return txn.account_modseq(account_id)

    def remembered() -> int:
        return store.read_now_memo(("modseq", account_id), read)

    return calls, remembered


def touch(txn: WriteTxn) -> None:
    txn.create_record("Note", txn.new_id(), {"title": "x"})


async def test_a_remembered_read_lasts_until_this_process_writes(
    store: Store, account_id: str
) -> None:
    calls, read = counting_read(store, account_id)
    assert read() == read() == 0
    assert len(calls) == 1
    await store.write(account_id, touch)
    assert read() == 1
    assert len(calls) == 2


def test_a_remembered_read_is_forgotten_when_another_process_commits(
    store: Store, account_id: str
) -> None:
    calls, read = counting_read(store, account_id)
    assert read() == 0
    db_path = cast(SqliteStore, getattr(store, "inner", store)).db_path
    other = sqlite3.connect(db_path)  # as another process would
    try:
        other.execute("UPDATE accounts SET modseq = 41 WHERE id = ?", (account_id,))
        other.commit()
    finally:
        other.close()
    assert read() == 41
    assert len(calls) == 2
