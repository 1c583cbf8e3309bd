"""The outbound queue in SQLite (tables `outbound_messages`, `outbound_recipients`, migration
0005). Mixed into `SqliteRead` and `SqliteWrite`; the protocol and its rules are in
`satchel/store/outbound_base.py`."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

import orjson

from satchel.store.outbound_base import OutboundMessage, OutboundRecipient

_COLUMNS = (
    "id, account_id, submission_id, mail_from, message_id, raw, created_at, send_at,"
    " next_attempt_at, attempts, state, mail_params"
)


class SqliteOutboundRead:
    __slots__ = ()
    _conn: sqlite3.Connection

    def _outbound_recipients(self, message_id: str) -> tuple[OutboundRecipient, ...]:
        rows = self._conn.execute(
            "SELECT address, params, state, reply FROM outbound_recipients"
            " WHERE message_id = ? ORDER BY position",
            (message_id,),
        )
        return tuple(
            OutboundRecipient(str(a), tuple(orjson.loads(p)), str(s), str(r)) for a, p, s, r in rows
        )

    def _outbound_from_row(self, row: tuple[object, ...]) -> OutboundMessage:
        message_id = str(row[0])
        return OutboundMessage(
            id=message_id,
            account_id=str(row[1]),
            submission_id=None if row[2] is None else str(row[2]),
            mail_from=str(row[3]),
            message_id=None if row[4] is None else str(row[4]),
            raw=bytes(row[5]),  # type: ignore[call-overload]
            created_at=float(row[6]),  # type: ignore[arg-type]
            send_at=float(row[7]),  # type: ignore[arg-type]
            next_attempt_at=float(row[8]),  # type: ignore[arg-type]
            attempts=int(row[9]),  # type: ignore[call-overload]
            state=str(row[10]),
            recipients=self._outbound_recipients(message_id),
            mail_params=tuple(orjson.loads(row[11])),  # type: ignore[arg-type]
        )

    def outbound_message(self, message_id: str) -> OutboundMessage | None:
        row = self._conn.execute(
            f"SELECT {_COLUMNS} FROM outbound_messages WHERE id = ?", (message_id,)
        ).fetchone()
        return None if row is None else self._outbound_from_row(row)

    def outbound_for_submission(
        self, account_id: str, submission_id: str
    ) -> OutboundMessage | None:
        row = self._conn.execute(
            f"SELECT {_COLUMNS} FROM outbound_messages WHERE account_id = ? AND submission_id = ?",
            (account_id, submission_id),
        ).fetchone()
        return None if row is None else self._outbound_from_row(row)

    def outbound_by_message_id(self, account_id: str, message_id: str) -> list[OutboundMessage]:
        rows = self._conn.execute(
            f"SELECT {_COLUMNS} FROM outbound_messages WHERE account_id = ? AND message_id = ?",
            (account_id, message_id),
        ).fetchall()
        return [self._outbound_from_row(r) for r in rows]

    def outbound_due(self, now: float, limit: int) -> list[str]:
        rows = self._conn.execute(
            "SELECT id FROM outbound_messages WHERE state = 'queued' AND next_attempt_at <= ?"
            " AND lease_until <= ? ORDER BY next_attempt_at LIMIT ?",
            (now, now, limit),
        )
        return [str(r[0]) for r in rows]

    def outbound_next_due(self) -> float | None:
        row = self._conn.execute(
            "SELECT MIN(MAX(next_attempt_at, lease_until)) FROM outbound_messages"
            " WHERE state = 'queued'"
        ).fetchone()
        return None if row is None or row[0] is None else float(row[0])


class SqliteOutboundWrite(SqliteOutboundRead):
    __slots__ = ()

    def outbound_enqueue(self, message: OutboundMessage) -> None:
        self._conn.execute(
            f"INSERT INTO outbound_messages ({_COLUMNS}) VALUES ({', '.join('?' * 12)})",
            (
                message.id,
                message.account_id,
                message.submission_id,
                message.mail_from,
                message.message_id,
                message.raw,
                message.created_at,
                message.send_at,
                message.next_attempt_at,
                message.attempts,
                message.state,
                orjson.dumps(list(message.mail_params)).decode(),
            ),
        )
        self._conn.executemany(
            "INSERT INTO outbound_recipients (message_id, address, params, state, reply, position)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [
                (message.id, r.address, orjson.dumps(list(r.params)).decode(), r.state, r.reply, i)
                for i, r in enumerate(message.recipients)
            ],
        )

    def outbound_claim(
        self, message_id: str, owner: str, now: float, lease_until: float
    ) -> OutboundMessage | None:
        claimed = self._conn.execute(
            "UPDATE outbound_messages SET lease_owner = ?, lease_until = ?, attempts = attempts + 1"
            " WHERE id = ? AND state = 'queued' AND next_attempt_at <= ? AND lease_until <= ?",
            (owner, lease_until, message_id, now, now),
        ).rowcount
        return self.outbound_message(message_id) if claimed else None

    def _holds(self, message_id: str, owner: str) -> bool:
        row = self._conn.execute(
            "SELECT 1 FROM outbound_messages WHERE id = ? AND lease_owner = ? AND state = 'queued'",
            (message_id, owner),
        ).fetchone()
        return row is not None

    def outbound_record(
        self, message_id: str, owner: str, address: str, state: str, reply: str
    ) -> bool:
        if not self._holds(message_id, owner):
            return False
        self._conn.execute(
            "UPDATE outbound_recipients SET state = ?, reply = ?"
            " WHERE message_id = ? AND address = ?",
            (state, reply, message_id, address),
        )
        return True

    def outbound_release(self, message_id: str, owner: str, next_attempt_at: float) -> None:
        if not self._holds(message_id, owner):
            return
        pending = self._conn.execute(
            "SELECT 1 FROM outbound_recipients WHERE message_id = ? AND state = 'queued' LIMIT 1",
            (message_id,),
        ).fetchone()
        if pending is None:
            self._conn.execute(
                "UPDATE outbound_messages SET state = 'done', raw = x'', lease_owner = NULL,"
                " lease_until = 0 WHERE id = ?",
                (message_id,),
            )
        else:
            self._conn.execute(
                "UPDATE outbound_messages SET next_attempt_at = ?, lease_owner = NULL,"
                " lease_until = 0 WHERE id = ?",
                (next_attempt_at, message_id),
            )

    def outbound_cancel(self, message_id: str, now: float) -> bool:
        canceled = self._conn.execute(
            "UPDATE outbound_messages SET state = 'canceled', raw = x''"
            " WHERE id = ? AND state = 'queued' AND attempts = 0 AND lease_until <= ?",
            (message_id, now),
        ).rowcount
        return bool(canceled)

    def outbound_fail_remaining(
        self, message_id: str, owner: str, reply: str
    ) -> Sequence[OutboundRecipient]:
        if not self._holds(message_id, owner):
            return []
        rows = self._conn.execute(
            "UPDATE outbound_recipients SET state = 'failed', reply = ?"
            " WHERE message_id = ? AND state = 'queued' RETURNING address, params",
            (reply, message_id),
        ).fetchall()
        return [OutboundRecipient(str(a), tuple(orjson.loads(p)), "failed", reply) for a, p in rows]

    def outbound_purge(self, before: float) -> int:
        return self._conn.execute(
            "DELETE FROM outbound_messages WHERE state != 'queued' AND created_at < ?", (before,)
        ).rowcount
