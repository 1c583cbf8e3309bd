"""The vacation auto-reply log in SQLite (table `vacation_replies`, migration 0004). Mixed into
`SqliteWrite`: the check and the note are one statement pair in the writer's transaction, so
two deliveries from the same sender racing each other still send one reply (RFC 3834 section
2: "SHOULD NOT" reply more than once per period)."""

from __future__ import annotations

import sqlite3


class SqliteVacationWrite:
    """Claim a reply to a sender, and forget them all when the response changes."""

    __slots__ = ()
    _conn: sqlite3.Connection

    def claim_vacation_reply(self, account_id: str, sender: str, now: float, period: float) -> bool:
        key = sender.strip().lower()
        row = self._conn.execute(
            "SELECT replied_at FROM vacation_replies WHERE account_id = ? AND sender = ?",
            (account_id, key),
        ).fetchone()
        if row is not None and now - float(row[0]) < period:
            return False
        self._conn.execute(
            "INSERT OR REPLACE INTO vacation_replies (account_id, sender, replied_at)"
            " VALUES (?, ?, ?)",
            (account_id, key, now),
        )
        return True

    def clear_vacation_replies(self, account_id: str) -> int:
        cursor = self._conn.execute(
            "DELETE FROM vacation_replies WHERE account_id = ?", (account_id,)
        )
        return cursor.rowcount
