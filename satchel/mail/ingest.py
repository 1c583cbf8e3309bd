"""The one path by which a message enters a mailbox: LMTP delivery, `satchel deliver`,
`satchel import` and Email/import all come here.

Parse (off the event loop), store the blob fsynced (off the DB thread), then in ONE write
transaction: make sure the account has its mailboxes, reference the blob, thread the message,
create the Email and Thread records, index it and mark the mailbox counts changed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Final

from satchel.mail import mime
from satchel.mail.email_record import email_data, index_entry
from satchel.mail.limits import MAX_MAILBOXES_PER_EMAIL
from satchel.mail.mail_txn import EMAIL, mail
from satchel.mail.provision import MAILBOX_TYPE, ensure_mail_account
from satchel.mail.submission.reports import link_report
from satchel.mail.threading import add_to_thread, find_thread, related_message_ids
from satchel.store.base import CommitResult, ReadTxn, Store, WriteTxn

MESSAGE_TYPE: Final = "message/rfc822"
EMAIL_DELIVERY: Final = "EmailDelivery"


class IngestError(ValueError):
    """A message cannot be delivered as asked (an unknown mailbox, no inbox); nothing was
    written."""


@dataclass(frozen=True, slots=True)
class Incoming:
    raw: bytes
    mailbox_ids: Sequence[str] | None = None  # None: the account's inbox
    keywords: Sequence[str] = field(default_factory=tuple)
    received_at: float | None = None  # unix time; None: now


@dataclass(frozen=True, slots=True)
class Prepared:
    incoming: Incoming
    blob_id: str
    message: mime.Message
    summary: dict[str, Any]
    received_at: float


# Blob writes end in an fsync that costs milliseconds but little CPU: a batch overlaps them.
_PUT_THREADS: Final = 8


def prepare(store: Store, messages: Sequence[Incoming]) -> list[Prepared]:
    """Parse and store the bytes (fsynced) of every message: slow work, off the event loop."""
    now = time.time()
    if len(messages) > 1:
        with ThreadPoolExecutor(max_workers=_PUT_THREADS) as pool:
            blob_ids = list(pool.map(store.blobs.put, (m.raw for m in messages)))
    else:
        blob_ids = [store.blobs.put(m.raw) for m in messages]
    prepared = []
    for incoming, blob_id in zip(messages, blob_ids, strict=True):
        message = mime.parse_message(incoming.raw)
        summary = mime.summarize(incoming.raw, message, blob_id)
        received = incoming.received_at if incoming.received_at is not None else now
        prepared.append(Prepared(incoming, blob_id, message, summary, received))
    return prepared


async def ingest(
    store: Store, account_id: str, message: Incoming, *, delivery: bool = False
) -> tuple[str, CommitResult]:
    """Store one message durably (blob fsynced, rows committed) and return its Email id."""
    ids, commit = await ingest_batch(store, account_id, [message], delivery=delivery)
    return ids[0], commit


async def ingest_batch(
    store: Store, account_id: str, messages: Sequence[Incoming], *, delivery: bool = False
) -> tuple[list[str], CommitResult]:
    """Store many messages in one write transaction (for `satchel import`): all or nothing.
    `delivery` marks new mail arriving (LMTP, `satchel deliver`), which advances the
    EmailDelivery push state; an import or Email/import does not (RFC 8621 section 1.5)."""
    prepared = await asyncio.to_thread(prepare, store, messages)

    def write(txn: WriteTxn) -> list[str]:
        ensure_mail_account(txn)
        ids = [store_email(txn, p) for p in prepared]
        if delivery and ids:
            mark_delivered(txn)
        return ids

    return await store.write(account_id, write)


def mark_delivered(txn: WriteTxn) -> None:
    """RFC 8621 section 1.5: the EmailDelivery state changes when new mail is delivered, and
    on no other change to Emails; a push-only type with no records, so its state is touched."""
    txn.touch_type(EMAIL_DELIVERY)


def _mailboxes(txn: WriteTxn, wanted: Sequence[str] | None) -> dict[str, bool]:
    mailboxes = txn.get_records(txn.account_id, MAILBOX_TYPE, None)
    if wanted is None:
        inbox = [m.id for m in mailboxes if m.data.get("role") == "inbox"]
        if not inbox:
            raise IngestError("the account has no inbox")
        return {inbox[0]: True}
    known = {m.id for m in mailboxes}
    unknown = sorted(set(wanted) - known)
    if unknown or not wanted:
        raise IngestError(f"unknown mailboxes: {', '.join(unknown)}" if unknown else "no mailbox")
    if len(set(wanted)) > MAX_MAILBOXES_PER_EMAIL:  # RFC 8621 section 1.3.1
        raise IngestError(f"an Email may be in at most {MAX_MAILBOXES_PER_EMAIL} mailboxes")
    return {m: True for m in wanted}


def store_email(txn: WriteTxn, p: Prepared) -> str:
    """Everything one message needs inside the write transaction; returns its Email id."""
    mailbox_ids = _mailboxes(txn, p.incoming.mailbox_ids)
    keywords = {k.lower(): True for k in p.incoming.keywords}
    size = len(p.incoming.raw)
    txn.add_blob(p.blob_id, size, MESSAGE_TYPE, None)
    txn.ref_blob(p.blob_id, 1)
    summary = p.summary
    related = related_message_ids(
        summary.get("messageId"), summary.get("inReplyTo"), summary.get("references")
    )
    existing = find_thread(txn, txn.account_id, related, summary.get("subject"))
    thread_id = existing if existing is not None else txn.new_id()
    email_id = txn.new_id()
    data = email_data(
        summary,
        blob_id=p.blob_id,
        thread_id=thread_id,
        mailbox_ids=mailbox_ids,
        keywords=keywords,
        size=size,
        received_at=p.received_at,
    )
    txn.create_record(EMAIL, email_id, data)
    add_to_thread(txn, thread_id, existing is None, email_id, data["receivedAt"])
    mail(txn).put_email_index(index_entry(email_id, data, summary, p.message, p.incoming.raw))
    # A DSN or MDN for a message this account sent updates its EmailSubmission in this commit.
    link_report(txn, p.incoming.raw, p.blob_id)
    return email_id


async def mailbox_id_by_role_or_name(store: Store, account_id: str, name: str) -> str | None:
    """The mailbox a plus-address `user+NAME@` names: a top-level mailbox whose name matches
    case-insensitively, or whose role does; None when there is none."""
    wanted = name.casefold()

    def read(txn: ReadTxn) -> str | None:
        top = [
            m
            for m in txn.get_records(account_id, MAILBOX_TYPE, None)
            if m.data.get("parentId") is None
        ]
        for mailbox in top:
            if str(mailbox.data.get("name", "")).casefold() == wanted:
                return mailbox.id
        for mailbox in top:
            if mailbox.data.get("role") == wanted:
                return mailbox.id
        return None

    return await store.read(read)
