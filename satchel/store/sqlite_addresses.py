"""Mail address aliases in SQLite (table `addresses`, migration 0003): the rows behind
`satchel user alias add|remove|list` and the alias step of recipient resolution
(`satchel.mail.recipients`). Mixed into `SqliteRead` and `SqliteWrite`.

Addresses are compared lowercased: the domain is case-insensitive (RFC 5321 section 2.4) and
Satchel treats local parts the same way, as nearly every mail system does."""

from __future__ import annotations

import sqlite3

from satchel.store.base import AddressTaken, UserNotFound


def _key(address: str) -> str:
    return address.strip().lower()


class SqliteAddressRead:
    """The read side: which user an alias belongs to, and a user's aliases."""

    __slots__ = ()
    _conn: sqlite3.Connection

    def user_id_for_alias(self, address: str) -> str | None:
        row = self._conn.execute(
            "SELECT user_id FROM addresses WHERE address = ?", (_key(address),)
        ).fetchone()
        return None if row is None else str(row[0])

    def aliases_for_user(self, user_id: str) -> list[str]:
        rows = self._conn.execute(
            "SELECT address FROM addresses WHERE user_id = ? ORDER BY address", (user_id,)
        )
        return [str(r[0]) for r in rows]


class SqliteAddressWrite(SqliteAddressRead):
    """The write side: add and remove aliases."""

    __slots__ = ()

    def add_alias(self, user_id: str, address: str) -> None:
        exists = self._conn.execute("SELECT 1 FROM users WHERE id = ?", (user_id,)).fetchone()
        if exists is None:
            raise UserNotFound(user_id)
        try:
            self._conn.execute(
                "INSERT INTO addresses (address, user_id) VALUES (?, ?)", (_key(address), user_id)
            )
        except sqlite3.IntegrityError:
            raise AddressTaken(f"the address {_key(address)} is already an alias") from None

    def remove_alias(self, address: str) -> str | None:
        row = self._conn.execute(
            "DELETE FROM addresses WHERE address = ? RETURNING user_id", (_key(address),)
        ).fetchone()
        return None if row is None else str(row[0])
