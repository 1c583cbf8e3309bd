"""Schema migrations: applied once at open, idempotent on reopen, a newer database refused, a
failing migration rolled back whole. These open SQLite files directly: they test the SQLite
backend's own migration runner."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from satchel.store import migrate
from satchel.store.base import SchemaTooNew
from satchel.store.migrate import LATEST_SCHEMA_VERSION, load_migrations, split_statements
from satchel.store.sqlite import SqliteStore


def test_open_creates_the_data_directory(tmp_path: Path) -> None:
    data_dir = tmp_path / "new" / "data"
    store = SqliteStore.open(data_dir)
    try:
        assert (data_dir / "satchel.db").is_file()
        assert (data_dir / "blobs").is_dir()
        assert store.read_sync(lambda txn: txn.schema_version()) == LATEST_SCHEMA_VERSION
    finally:
        store.close_sync()
    conn = sqlite3.connect(data_dir / "satchel.db")
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()


def test_reopen_is_idempotent_and_keeps_data(tmp_path: Path) -> None:
    for _ in range(3):
        SqliteStore.open(tmp_path).close_sync()
    store = SqliteStore.open(tmp_path)
    try:
        store.write_sync("", lambda txn: txn.create_user("alice", "h", None))
        store.close_sync()
        store = SqliteStore.open(tmp_path)
        assert store.read_sync(lambda txn: txn.user_by_name("alice")) is not None
        assert store.read_sync(lambda txn: txn.schema_version()) == LATEST_SCHEMA_VERSION
    finally:
        store.close_sync()
    conn = sqlite3.connect(tmp_path / "satchel.db")
    try:
        versions = [r[0] for r in conn.execute("SELECT version FROM schema_version ORDER BY 1")]
    finally:
        conn.close()
    assert versions == list(range(1, LATEST_SCHEMA_VERSION + 1))


def test_a_newer_database_is_refused(tmp_path: Path) -> None:
    SqliteStore.open(tmp_path).close_sync()
    conn = sqlite3.connect(tmp_path / "satchel.db")
    with conn:
        conn.execute(
            "INSERT INTO schema_version (version, name, applied_at) VALUES (?, 'future.sql', 0)",
            (LATEST_SCHEMA_VERSION + 1,),
        )
    conn.close()
    with pytest.raises(SchemaTooNew, match="newer"):
        SqliteStore.open(tmp_path)


def test_a_failing_migration_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = migrate.Migration(
        LATEST_SCHEMA_VERSION + 1,
        "9999_broken.sql",
        "CREATE TABLE half (x INTEGER);\nINSERT INTO no_such_table VALUES (1);\n",
    )
    SqliteStore.open(tmp_path).close_sync()
    monkeypatch.setattr(migrate, "_MIGRATIONS", [*load_migrations(), broken])
    monkeypatch.setattr(migrate, "LATEST_SCHEMA_VERSION", broken.version)
    conn = sqlite3.connect(tmp_path / "satchel.db", isolation_level=None)
    try:
        with pytest.raises(sqlite3.OperationalError):
            migrate.migrate(conn)
        assert migrate.read_version(conn) == LATEST_SCHEMA_VERSION
        assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'half'").fetchone() is None
    finally:
        conn.close()


def test_migrations_are_numbered_from_one() -> None:
    versions = [m.version for m in load_migrations()]
    assert versions == list(range(1, len(versions) + 1))
    assert versions[-1] == LATEST_SCHEMA_VERSION


def test_split_statements_keeps_triggers_whole() -> None:
    sql = """
    -- a comment
    CREATE TABLE t (x TEXT DEFAULT ';');
    CREATE TRIGGER tr AFTER INSERT ON t BEGIN
        UPDATE t SET x = 'a;b';
    END;
    -- trailing comment
    """
    statements = split_statements(sql)
    assert len(statements) == 2
    assert statements[1].rstrip().endswith("END;")
    with pytest.raises(ValueError):
        split_statements("CREATE TABLE t (x")
