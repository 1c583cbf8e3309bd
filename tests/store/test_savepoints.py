"""Savepoints: /set runs each object in one, so a refused object leaves nothing behind while the
others of the same transaction commit with one consistent modseq."""

from __future__ import annotations

import pytest

from satchel.store.base import ReadTxn, Store, TypeState, WriteTxn


class Refused(Exception):
    pass


async def test_rolled_back_first_change_does_not_strand_later_changes(
    store: Store, account_id: str
) -> None:
    def write(txn: WriteTxn) -> None:
        with pytest.raises(Refused), txn.savepoint():
            txn.create_record("Note", "n1", {"title": "undone"})
            raise Refused
        txn.create_record("Other", "o1", {"title": "kept"})

    _, commit = await store.write(account_id, write)
    assert commit.changed_types == {"Other"}

    def check(txn: ReadTxn) -> tuple[int, TypeState, TypeState, list[str]]:
        return (
            txn.account_modseq(account_id),
            txn.type_state(account_id, "Note"),
            txn.type_state(account_id, "Other"),
            [r.id for r in txn.get_records(account_id, "Other", None)],
        )

    modseq, note_state, other_state, others = store.read_sync(check)
    assert modseq == commit.modseq == other_state.high
    assert note_state.high == 0
    assert others == ["o1"]
    assert store.read_sync(lambda t: t.get_records(account_id, "Note", ["n1"])) == []


async def test_nested_savepoint_undoes_only_its_own_writes(store: Store, account_id: str) -> None:
    def write(txn: WriteTxn) -> None:
        with txn.savepoint():
            txn.create_record("Note", "outer", {})
            with pytest.raises(Refused), txn.savepoint():
                txn.create_record("Note", "inner", {})
                raise Refused

    _, commit = await store.write(account_id, write)
    ids = [r.id for r in store.read_sync(lambda t: t.get_records(account_id, "Note", None))]
    assert ids == ["outer"]
    changes = store.read_sync(lambda t: t.changes_since(account_id, "Note", 0, None))
    assert changes.created == ["outer"]
    assert changes.new_modseq == commit.modseq
