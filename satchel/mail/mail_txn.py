"""Email writes shared by ingest, Email/set and Mailbox/set, done inside one write transaction
so the Email record, its Thread, its blob reference, the mail index and the mailbox counts never
disagree."""

from __future__ import annotations

from typing import Any, Final, cast

from satchel.store.base import WriteTxn
from satchel.store.mail_base import MailWriteTxn

EMAIL: Final = "Email"
THREAD: Final = "Thread"


def mail(txn: WriteTxn) -> MailWriteTxn:
    """The mail side of a write transaction (the store implements both protocols)."""
    return cast(MailWriteTxn, txn)


def set_flags(
    txn: WriteTxn,
    email_id: str,
    data: dict[str, Any],
    mailbox_ids: dict[str, bool],
    keywords: dict[str, bool],
) -> None:
    """Give an Email new mailboxIds and keywords: record and index (which moves the counts)."""
    new = {**data, "mailboxIds": mailbox_ids, "keywords": keywords}
    txn.update_record(EMAIL, email_id, new)
    mail(txn).set_email_flags(email_id, sorted(mailbox_ids), sorted(keywords))


def remove_email_from_mailbox(txn: WriteTxn, email_id: str, mailbox_id: str) -> bool:
    """Take an Email out of one mailbox; False (and nothing done) when that was its only one."""
    records = txn.get_records(txn.account_id, EMAIL, [email_id])
    if not records:
        return True
    data = records[0].data
    mailbox_ids = {m: True for m in data.get("mailboxIds") or {} if m != mailbox_id}
    if not mailbox_ids:
        return False
    set_flags(txn, email_id, data, mailbox_ids, dict(data.get("keywords") or {}))
    return True


def destroy_email_in_txn(txn: WriteTxn, email_id: str) -> bool:
    """Destroy an Email with everything hanging from it; False if it does not exist."""
    records = txn.get_records(txn.account_id, EMAIL, [email_id])
    if not records:
        return False
    release_email(txn, email_id, records[0].data)
    txn.destroy_record(EMAIL, email_id)
    return True


def release_email(txn: WriteTxn, email_id: str, data: dict[str, Any]) -> None:
    """Everything an Email's destruction undoes but its record: its index, its place in its
    Thread (a Thread with no email left is destroyed), its reference to the message blob and
    the counts of the mailboxes it touched."""
    thread_id = data.get("threadId")
    mail(txn).delete_email_index(email_id)
    if isinstance(thread_id, str):
        threads = txn.get_records(txn.account_id, THREAD, [thread_id])
        if threads:
            remaining = [i for i in threads[0].data.get("emailIds", []) if i != email_id]
            if remaining:
                txn.update_record(THREAD, thread_id, {"emailIds": remaining})
            else:
                txn.destroy_record(THREAD, thread_id)
    blob_id = data.get("blobId")
    if isinstance(blob_id, str):
        txn.ref_blob(blob_id, -1)
