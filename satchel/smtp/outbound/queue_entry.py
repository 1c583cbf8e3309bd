"""A new outbound queue entry (`satchel.store.outbound_base.OutboundMessage`) for a message:
its recipients deduplicated, its Message-ID noted for matching the DSNs and MDNs that come
back, due at once or at its FUTURERELEASE time."""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from email.parser import BytesHeaderParser
from email.policy import compat32

from satchel.store.outbound_base import OutboundMessage, OutboundRecipient


def message_id_of(raw: bytes) -> str | None:
    """The Message-ID field's id, without angle brackets (DSNs and MDNs name it)."""
    end = raw.find(b"\r\n\r\n")
    head = raw if end < 0 else raw[: end + 2]
    value = BytesHeaderParser(policy=compat32).parsebytes(head).get("Message-ID")
    if value is None:
        return None
    text = str(value).strip().strip("<>").strip()
    return text or None


def new_outbound(
    *,
    mail_from: str,
    recipients: Sequence[tuple[str, Sequence[str]]],
    raw: bytes,
    account_id: str = "",
    submission_id: str | None = None,
    send_at: float | None = None,
    now: float | None = None,
    mail_params: Sequence[str] = (),
) -> OutboundMessage:
    """A queue row for `raw`: recipients are (address, RCPT parameters), deduplicated
    case-insensitively in their first spelling."""
    now = time.time() if now is None else now
    send_at = now if send_at is None else send_at
    seen: dict[str, OutboundRecipient] = {}
    for address, params in recipients:
        seen.setdefault(address.lower(), OutboundRecipient(address, tuple(params)))
    return OutboundMessage(
        id=secrets.token_hex(12),
        account_id=account_id,
        submission_id=submission_id,
        mail_from=mail_from,
        message_id=message_id_of(raw),
        raw=raw,
        created_at=now,
        send_at=send_at,
        next_attempt_at=send_at,
        attempts=0,
        state="queued",
        recipients=tuple(seen.values()),
        mail_params=tuple(mail_params),
    )
