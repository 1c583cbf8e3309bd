"""Sender grants in SQLite (table `sender_grants`, migration 0004): the rows behind
`satchel user sender add|remove|list` and the admin-granted step of `satchel.mail.senders`.
Mixed into `SqliteRead` and `SqliteWrite`.

A pattern is an exact address or `*@domain`; both are stored lowercased, because the domain is
case-insensitive (RFC 5321 section 2.4) and Satchel compares local parts the same way."""

from __future__ import annotations

import sqlite3

from satchel.store.base import UserNotFound


def _key(pattern: str) -> str:
    return pattern.strip().lower()


class SqliteSenderRead:
    """The read side: a user's granted patterns, and who owns an account."""

    __slots__ = ()
    _conn: sqlite3.Connection

    def sender_grants(self, user_id: str) -> list[str]:
        rows = self._conn.execute(
            "SELECT pattern FROM sender_grants WHERE user_id = ? ORDER BY pattern", (user_id,)
        )
        return [str(r[0]) for r in rows]

    def account_owner(self, account_id: str) -> str | None:
        row = self._conn.execute(
            "SELECT owner_user_id FROM accounts WHERE id = ?", (account_id,)
        ).fetchone()
        return None if row is None else str(row[0])


class SqliteSenderWrite(SqliteSenderRead):
    """The write side: grant and revoke patterns."""

    __slots__ = ()

    def add_sender_grant(self, user_id: str, pattern: str) -> bool:
        exists = self._conn.execute("SELECT 1 FROM users WHERE id = ?", (user_id,)).fetchone()
        if exists is None:
            raise UserNotFound(user_id)
        cursor = self._conn.execute(
            "INSERT OR IGNORE INTO sender_grants (user_id, pattern) VALUES (?, ?)",
            (user_id, _key(pattern)),
        )
        return cursor.rowcount > 0

    def remove_sender_grant(self, user_id: str, pattern: str) -> bool:
        cursor = self._conn.execute(
            "DELETE FROM sender_grants WHERE user_id = ? AND pattern = ?", (user_id, _key(pattern))
        )
        return cursor.rowcount > 0
