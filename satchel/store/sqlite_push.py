"""PushSubscriptions in SQLite (table `push_subscriptions`, migration 0006). Mixed into
`SqliteRead` and `SqliteWrite`; the protocol and its rules are in `satchel/store/push_base.py`."""

from __future__ import annotations

import sqlite3
from typing import Any

import orjson

from satchel.store.push_base import PushSubscriptionRow

_COLUMNS = (
    "id, user_id, credential, device_client_id, url, p256dh, auth, verification_code, verified,"
    " expires, types, created_at"
)


def _row(r: Any) -> PushSubscriptionRow:
    return PushSubscriptionRow(
        id=str(r[0]),
        user_id=str(r[1]),
        credential=str(r[2]),
        device_client_id=str(r[3]),
        url=str(r[4]),
        p256dh=None if r[5] is None else str(r[5]),
        auth=None if r[6] is None else str(r[6]),
        verification_code=str(r[7]),
        verified=bool(r[8]),
        expires=float(r[9]),
        types=None if r[10] is None else tuple(orjson.loads(r[10])),
        created_at=float(r[11]),
    )


def _types(types: tuple[str, ...] | None) -> bytes | None:
    return None if types is None else orjson.dumps(list(types))


class SqlitePushRead:
    __slots__ = ()
    _conn: sqlite3.Connection

    def push_subscription(self, subscription_id: str) -> PushSubscriptionRow | None:
        row = self._conn.execute(
            f"SELECT {_COLUMNS} FROM push_subscriptions WHERE id = ?", (subscription_id,)
        ).fetchone()
        return None if row is None else _row(row)

    def push_subscriptions_of_user(self, user_id: str) -> list[PushSubscriptionRow]:
        rows = self._conn.execute(
            f"SELECT {_COLUMNS} FROM push_subscriptions WHERE user_id = ? ORDER BY id",
            (user_id,),
        )
        return [_row(r) for r in rows]

    def push_subscriptions_for_account(self, account_id: str) -> list[PushSubscriptionRow]:
        rows = self._conn.execute(
            f"SELECT {_COLUMNS} FROM push_subscriptions"
            " WHERE user_id IN (SELECT owner_user_id FROM accounts WHERE id = ?)"
            " AND verified = 1 ORDER BY id",
            (account_id,),
        )
        return [_row(r) for r in rows]


class SqlitePushWrite(SqlitePushRead):
    __slots__ = ()

    def create_push_subscription(self, row: PushSubscriptionRow) -> None:
        self._conn.execute(
            f"INSERT INTO push_subscriptions ({_COLUMNS})"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                row.id,
                row.user_id,
                row.credential,
                row.device_client_id,
                row.url,
                row.p256dh,
                row.auth,
                row.verification_code,
                int(row.verified),
                row.expires,
                _types(row.types),
                row.created_at,
            ),
        )

    def update_push_subscription(
        self,
        subscription_id: str,
        *,
        verified: bool,
        expires: float,
        types: tuple[str, ...] | None,
    ) -> bool:
        cursor = self._conn.execute(
            "UPDATE push_subscriptions SET verified = ?, expires = ?, types = ? WHERE id = ?",
            (int(verified), expires, _types(types), subscription_id),
        )
        return cursor.rowcount > 0

    def delete_push_subscription(self, subscription_id: str) -> bool:
        # Overwrite the secrets in place (same length, so the cell is rewritten where it lies)
        # before the row goes: a plain DELETE leaves them in the freed page.
        self._conn.execute(
            "UPDATE push_subscriptions SET url = zeroblob(length(url)),"
            " p256dh = zeroblob(length(p256dh)), auth = zeroblob(length(auth)),"
            " verification_code = zeroblob(length(verification_code)) WHERE id = ?",
            (subscription_id,),
        )
        cursor = self._conn.execute(
            "DELETE FROM push_subscriptions WHERE id = ?", (subscription_id,)
        )
        return cursor.rowcount > 0

    def purge_expired_push_subscriptions(self, now: float) -> int:
        expired = [
            str(r[0])
            for r in self._conn.execute(
                "SELECT id FROM push_subscriptions WHERE expires <= ?", (now,)
            )
        ]
        for subscription_id in expired:
            self.delete_push_subscription(subscription_id)
        return len(expired)
