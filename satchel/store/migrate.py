"""Numbered schema migrations for the SQLite store: `migrations/NNNN_name.sql`, applied in order
at open, all pending ones inside one write transaction, each recorded in `schema_version`.

`LATEST_SCHEMA_VERSION` is the newest schema this code knows; `satchel doctor` compares it with
the database's. A database migrated by newer code is refused rather than guessed at.
"""

from __future__ import annotations

import re
import sqlite3
import time
from dataclasses import dataclass
from importlib import resources

from satchel.store.base import SchemaTooNew

_NAME = re.compile(r"(\d{4})_[a-z0-9_]+\.sql")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def load_migrations() -> list[Migration]:
    """Every migration shipped with this code, in version order (gapless from 1)."""
    found: list[Migration] = []
    for entry in resources.files("satchel.store").joinpath("migrations").iterdir():
        match = _NAME.fullmatch(entry.name)
        if match is None:
            continue
        found.append(Migration(int(match.group(1)), entry.name, entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise RuntimeError(f"migration numbering has a gap or duplicate at {migration.name}")
    return found


_MIGRATIONS = load_migrations()
LATEST_SCHEMA_VERSION = _MIGRATIONS[-1].version if _MIGRATIONS else 0


def split_statements(sql: str) -> list[str]:
    """Split a script into statements without `executescript` (which would COMMIT our
    transaction first). `sqlite3.complete_statement` knows about triggers and string literals."""
    statements: list[str] = []
    pending = ""
    for line in sql.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    rest = "\n".join(
        line for line in pending.splitlines() if line.strip() and not line.strip().startswith("--")
    )
    if rest:
        raise ValueError(f"incomplete SQL statement at end of migration: {rest[:80]!r}")
    return statements


def read_version(conn: sqlite3.Connection) -> int:
    """The schema version recorded in the database (0 for a new, empty database)."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    ).fetchone()
    if exists is None:
        return 0
    row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0]) if row is not None and row[0] is not None else 0


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the database to `LATEST_SCHEMA_VERSION`; return the version reached.

    `conn` must be in autocommit mode (isolation_level=None). BEGIN IMMEDIATE serialises
    concurrent openers (several worker processes starting at once): the second one waits, then
    finds nothing left to do. A failing migration rolls back entirely.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = read_version(conn)
        if version > LATEST_SCHEMA_VERSION:
            raise SchemaTooNew(
                f"database schema version {version} is newer than this Satchel's "
                f"{LATEST_SCHEMA_VERSION}; upgrade Satchel before opening this data directory"
            )
        if version < LATEST_SCHEMA_VERSION:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_version ("
                " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at REAL NOT NULL)"
            )
            for migration in _MIGRATIONS[version:]:
                for statement in split_statements(migration.sql):
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
                    (migration.version, migration.name, time.time()),
                )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return max(version, LATEST_SCHEMA_VERSION)
