"""`ReadTxn.by_state`: a value is reused only at the very state it was worked out at, and never
from inside a write transaction, whose state may still roll back and be reused by other
contents."""

from __future__ import annotations

from satchel.store.base import ReadTxn, Store, WriteTxn
from satchel.store.state_memo import StateMemo


def note(txn: WriteTxn) -> None:
    txn.create_record("Note", txn.new_id(), {"title": "x"})


async def test_reads_reuse_a_value_until_the_state_moves(store: Store, account_id: str) -> None:
    builds: list[int] = []

    def read(txn: ReadTxn) -> int:
        state = txn.type_state(account_id, "Note").high
        return txn.by_state(("notes", account_id), state, lambda: builds.append(state) or state)

    await store.write(account_id, note)
    first = store.read_sync(read)
    assert store.read_sync(read) == first
    await store.write(account_id, note)
    assert store.read_sync(read) > first
    assert len(builds) == 2


async def test_a_write_transaction_always_builds(store: Store, account_id: str) -> None:
    builds: list[int] = []

    def write(txn: WriteTxn) -> None:
        note(txn)
        state = txn.type_state(account_id, "Note").high
        for _ in range(2):
            txn.by_state(("notes", account_id), state, lambda: builds.append(state))

    await store.write(account_id, write)
    assert len(builds) == 2


def test_the_oldest_entry_goes_first() -> None:
    memo = StateMemo(2)
    builds: list[str] = []
    for key in ("a", "b", "c", "b", "a"):
        memo.get(key, 1, lambda key=key: builds.append(key))
    assert builds == ["a", "b", "c", "a"]
