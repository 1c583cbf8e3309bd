"""Delivery of an outgoing message to a recipient of this server: straight into the account
through the ingest path LMTP uses (`satchel.mail.ingest`), with the trace fields a final
delivery adds (RFC 5321 section 4.4), so a locally sent message looks like one that came in.

`also(txn, blob_id)` runs inside the recipient's write transaction: the outbound queue marks the
recipient delivered in the same commit that stores the copy, so a crash can neither lose nor
repeat it (and a bounce is linked to its EmailSubmission in the commit that stores it)."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime

from satchel.config import Settings
from satchel.mail.ingest import (
    Incoming,
    mailbox_id_by_role_or_name,
    mark_delivered,
    prepare,
    store_email,
)
from satchel.mail.provision import ensure_mail_account
from satchel.mail.recipients import Recipient, resolve
from satchel.store.base import Store, WriteTxn


def _clean(value: str) -> str:
    """No CR/LF (or other controls) may reach a header from the envelope."""
    return "".join(ch for ch in value if ch >= " " and ch != "\x7f")


def local_trace(mail_from: str, recipient: str, queue_id: str, now: float | None = None) -> bytes:
    """Return-Path (the final delivery adds it), Delivered-To (loops show) and a Received line
    naming this hop; submitted over JMAP, so the protocol is HTTP (RFC 8620 transports)."""
    when = format_datetime(
        datetime.fromtimestamp(time.time() if now is None else now, UTC).astimezone()
    )
    host = _clean(socket.gethostname())
    rcpt = _clean(recipient)
    lines = [
        f"Return-Path: <{_clean(mail_from)}>",
        f"Delivered-To: {rcpt}",
        f"Received: by {host} (Satchel) with HTTP id {_clean(queue_id)}",
        f"\tfor <{rcpt}>; {when}",
    ]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8", "surrogateescape")


async def resolve_local(store: Store, settings: Settings, address: str) -> Recipient | None:
    return await store.read(lambda txn: resolve(txn, settings, address))


async def deliver_local(
    store: Store,
    recipient: Recipient,
    raw: bytes,
    also: Callable[[WriteTxn, str], None] | None = None,
) -> str:
    """Store one copy in the recipient's account (its plus-address mailbox if there is one,
    else the inbox); the Email id. Raises what ingest raises (IngestError, StoreError)."""
    mailbox_ids = None
    if recipient.mailbox_hint:
        found = await mailbox_id_by_role_or_name(
            store, recipient.account_id, recipient.mailbox_hint
        )
        mailbox_ids = None if found is None else [found]
    prepared = (await asyncio.to_thread(prepare, store, [Incoming(raw, mailbox_ids)]))[0]

    def write(txn: WriteTxn) -> str:
        ensure_mail_account(txn)
        email_id = store_email(txn, prepared)
        mark_delivered(txn)  # new mail arrived: EmailDelivery changes (RFC 8621 section 1.5)
        if also is not None:
            also(txn, prepared.blob_id)
        return email_id

    email_id, _ = await store.write(recipient.account_id, write)
    return email_id
