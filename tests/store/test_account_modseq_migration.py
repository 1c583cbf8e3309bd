"""Migration 0013: an account's modseq is read from its type states. A database written before
it keeps every account's modseq, even one whose column ran ahead of its type states, so no
modseq (and no state string) is ever handed out twice."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlite_support import rewind_schema

from satchel.store import open_store
from satchel.store.base import WriteTxn


def test_modseqs_carry_on_from_the_old_column(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = open_store(data)

    def create(txn: WriteTxn) -> list[str]:
        return [
            txn.accounts_for_user(txn.create_user(name, "hash", None).id)[0].id
            for name in ("alice", "bob")
        ]

    (alice, bob), _ = store.write_sync("", create)
    store.write_sync(alice, lambda txn: txn.create_record("Mailbox", "m1", {"name": "a"}))
    store.write_sync(alice, lambda txn: txn.create_record("Mailbox", "m2", {"name": "b"}))
    store.close_sync()

    conn = sqlite3.connect(data / "satchel.db", isolation_level=None)
    try:
        rewind_schema(conn, 13)
        assert conn.execute("SELECT modseq FROM accounts WHERE id = ?", (alice,)).fetchone() == (2,)
        conn.execute("UPDATE accounts SET modseq = 40 WHERE id = ?", (bob,))  # ahead of nothing
    finally:
        conn.close()

    store = open_store(data)  # migrates again
    try:
        assert store.read_sync(lambda txn: txn.account_modseq(alice)) == 2
        assert store.read_sync(lambda txn: txn.account_modseq(bob)) == 40
        _, commit = store.write_sync(
            bob, lambda txn: txn.create_record("Mailbox", "m1", {"name": "c"})
        )
        assert commit.modseq == 41
        assert store.read_sync(lambda txn: txn.type_state(bob, "Mailbox")).high == 41
        assert store.read_sync(lambda txn: txn.account_modseq(bob)) == 41
    finally:
        store.close_sync()
