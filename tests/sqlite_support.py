"""The SQLite store behind a test's store, for the tests about what only it does."""

from __future__ import annotations

import sqlite3

import pytest

from satchel.store.base import Store
from satchel.store.sqlite import SqliteStore


def sqlite_of(store: Store) -> SqliteStore:
    """The SqliteStore itself (unwrapped from the push-publishing wrapper); the test is skipped
    on any other backend."""
    inner = getattr(store, "inner", store)
    if not isinstance(inner, SqliteStore):
        pytest.skip("a test of the SQLite store")
    return inner


def rewind_schema(conn: sqlite3.Connection, version: int) -> None:
    """Make the database look as it did before migration `version`, so that reopening it runs
    that migration and every later one again: forget them, and put back what a later one took
    away (0013 dropped accounts.modseq, whose value was the highest type state)."""
    conn.execute("DELETE FROM schema_version WHERE version >= ?", (version,))
    columns = {row[1] for row in conn.execute("PRAGMA table_info(accounts)")}
    if "modseq" not in columns:
        conn.execute("ALTER TABLE accounts ADD COLUMN modseq INTEGER NOT NULL DEFAULT 0")
        conn.execute(
            "UPDATE accounts SET modseq = COALESCE("
            "(SELECT MAX(high) FROM type_states WHERE account_id = accounts.id), 0)"
        )
