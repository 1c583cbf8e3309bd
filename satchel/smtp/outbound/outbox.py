"""Sending one message: the single entry point for everything that sends mail (EmailSubmission,
vacation auto-replies, DSNs). Every message goes into the durable outbound queue first (one
commit); local recipients are then delivered at once through the LMTP ingest path, remote ones
are left to the queue runners, which hand them to the relay. Owned by the outbound-queue work
(issue 4)."""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from email.parser import BytesHeaderParser
from email.policy import compat32

from satchel.config import Settings
from satchel.smtp.outbound.runner import deliver_queued
from satchel.store.base import Store
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


async def send_message(
    store: Store,
    settings: Settings,
    *,
    mail_from: str,
    recipients: Sequence[str],
    raw: bytes,
) -> None:
    """Deliver or durably queue `raw` for every recipient before returning. `mail_from` is the
    envelope sender ("" for auto-replies and DSNs, RFC 3834 / RFC 3464). Local copies are
    stored before this returns; an unknown local user or a refusing relay bounces to the sender
    later (never for a null sender), and remote recipients without a relay bounce the same
    way."""
    if not recipients:
        return
    message = new_outbound(mail_from=mail_from, recipients=[(r, ()) for r in recipients], raw=raw)
    await store.write("", lambda txn: txn.outbound_enqueue(message))
    await deliver_queued(store, settings, message.id)
