"""Migration 0007: an index written before it (Emails numbered in arrival order) is renumbered
so that num follows receivedAt, every index table still agrees, and a newest-first text search
returns the newest Emails, not the last indexed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from mail_index_support import create_mailboxes, entry, ids, index_entries
from sqlite_support import rewind_schema

from satchel.store import open_store
from satchel.store.base import WriteTxn

NUM_TABLES = ("emails", "email_mailboxes", "email_keywords", "email_message_ids")
# Indexed in this order; received at these seconds (not the same order).
ARRIVALS = {"a": 3000, "b": 1000, "c": 2000, "d": 2000}


def _as_before_0007(db: Path, arrival_order: list[str]) -> None:
    """Number the Emails 1, 2, ... in arrival order, as schema 6 did, and forget 0007."""
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        conn.execute("BEGIN")
        for position, email_id in enumerate(arrival_order, start=1):
            (old,) = conn.execute("SELECT num FROM emails WHERE id = ?", (email_id,)).fetchone()
            for table in NUM_TABLES:
                conn.execute(f"UPDATE {table} SET num = ? WHERE num = ?", (position, old))
            conn.execute("UPDATE email_fts SET rowid = ? WHERE rowid = ?", (position, old))
        rewind_schema(conn, 7)
        conn.execute("COMMIT")
    finally:
        conn.close()


def test_old_arrival_numbers_are_rewritten_in_received_order(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = open_store(data)

    def create(txn: WriteTxn) -> str:
        user = txn.create_user("alice", "hash", None)
        return txn.accounts_for_user(user.id)[0].id

    account_id, _ = store.write_sync("", create)
    store.write_sync(account_id, create_mailboxes)
    index_entries(
        store,
        account_id,
        [
            entry(i, received_at=at, body_text="a common word", keywords=("$seen",))
            for i, at in ARRIVALS.items()
        ],
    )
    store.close_sync()
    _as_before_0007(data / "satchel.db", list(ARRIVALS))

    store = open_store(data)  # migrates again
    try:
        # Newest first; the two of the same second, the later indexed first.
        assert ids(store, account_id, {"text": "common"}) == "adcb"
        assert ids(store, account_id, {"text": "common"}, limit=2) == "ad"
        assert ids(store, account_id, {"hasKeyword": "$seen"}) == "adcb"
        assert ids(store, account_id, {"inMailbox": "inbox", "body": "word"}) == "adcb"
    finally:
        store.close_sync()
    conn = sqlite3.connect(data / "satchel.db")
    try:
        nums = [row[0] for row in conn.execute("SELECT num FROM emails ORDER BY received_at")]
        assert nums == sorted(nums) and nums[0] > len(ARRIVALS)
        for table in NUM_TABLES[1:]:
            orphans = conn.execute(
                f"SELECT COUNT(*) FROM {table} WHERE num NOT IN (SELECT num FROM emails)"
            ).fetchone()[0]
            assert orphans == 0, table
        (matched,) = conn.execute(
            "SELECT COUNT(*) FROM email_fts AS f JOIN emails AS e ON e.num = f.rowid"
            " WHERE email_fts MATCH 'common'"
        ).fetchone()
        assert matched == len(ARRIVALS)
    finally:
        conn.close()
