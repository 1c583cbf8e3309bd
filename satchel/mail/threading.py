"""Thread assignment (RFC 8621 section 3): two messages share a Thread when a message id appears
in both (Message-ID, In-Reply-To, References) AND their base subjects are the same, so a reply
used only to reach the same person does not join an unrelated conversation.

The Thread's `emailIds` stay sorted by receivedAt, oldest first, ties by id (section 3)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final, cast

from satchel.store.base import ReadTxn, WriteTxn
from satchel.store.mail_base import MailReadTxn

THREAD: Final = "Thread"
EMAIL: Final = "Email"

# RFC 5256 section 2.1 (simplified): "Re:", "Fw:", "Fwd:" (with an optional "[n]" counter) and
# "[list-tag]" prefixes, and a trailing "(fwd)", all repeated, then whitespace folded.
_PREFIX: Final = re.compile(r"^\s*(?:(?:re|fwd?|aw|sv|wg)\s*(?:\[\d+\])?\s*:|\[[^\]]*\])", re.I)
_TRAILER: Final = re.compile(r"\s*\(fwd\)\s*$", re.I)
_SPACE: Final = re.compile(r"\s+")


def base_subject(subject: str | None) -> str:
    """The subject without reply/forward prefixes, list tags and extra white space, lowercased:
    what threading compares and what the `subject` sort orders by (RFC 8621 section 4.4.2)."""
    text = _SPACE.sub(" ", subject or "").strip()
    while True:
        stripped = _TRAILER.sub("", _PREFIX.sub("", text, count=1)).strip()
        if stripped == text:
            break
        text = stripped
    return text.casefold()


def related_message_ids(
    message_id: Sequence[str] | None,
    in_reply_to: Sequence[str] | None,
    references: Sequence[str] | None,
) -> list[str]:
    """Every message id that ties a message to others, in a stable order, without repeats."""
    return list(dict.fromkeys([*(message_id or ()), *(in_reply_to or ()), *(references or ())]))


def find_thread(
    txn: ReadTxn, account_id: str, related: Sequence[str], subject: str | None
) -> str | None:
    """The existing Thread a new message joins, or None for a new Thread."""
    if not related:
        return None
    thread_id = cast(MailReadTxn, txn).thread_for_message_ids(account_id, list(related))
    if thread_id is None:
        return None
    threads = txn.get_records(account_id, THREAD, [thread_id])
    if not threads:
        return None
    email_ids = list(threads[0].data.get("emailIds", []))
    wanted = base_subject(subject)
    for email in txn.get_records(account_id, EMAIL, email_ids[:50]):
        subj = email.data.get("subject")
        if base_subject(subj if isinstance(subj, str) else None) == wanted:
            return thread_id
    return None


def add_to_thread(
    txn: WriteTxn, thread_id: str, is_new: bool, email_id: str, received_at: str
) -> None:
    """Put an Email (already created with this threadId) into its Thread, creating the Thread
    when `is_new`."""
    if is_new:
        txn.create_record(THREAD, thread_id, {"emailIds": [email_id]})
        return
    threads = txn.get_records(txn.account_id, THREAD, [thread_id])
    email_ids = [*threads[0].data.get("emailIds", []), email_id] if threads else [email_id]
    emails = {r.id: r.data for r in txn.get_records(txn.account_id, EMAIL, email_ids)}

    def key(i: str) -> tuple[str, str]:
        if i == email_id:
            return received_at, i
        value = emails.get(i, {}).get("receivedAt")
        return (value if isinstance(value, str) else ""), i

    txn.update_record(THREAD, thread_id, {"emailIds": sorted(email_ids, key=key)})
