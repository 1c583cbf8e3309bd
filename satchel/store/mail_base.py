"""CONTRACT (owned by the mail-store engineer, who implements it in the SQLite backend): what the
store keeps of mail beyond the generic records, so Email/query, counts and full-text search run in
SQL. The mail code calls these inside the same transaction as the Email record write, so the
index and the record never disagree.

Email objects themselves are ordinary records (type "Email") holding every stored property;
this index is derived from them. Threads are records of type "Thread" ({"emailIds": [...]}).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class EmailIndexEntry:
    """The indexed facts of one Email. Sort keys are pre-normalised by the caller (lowercased,
    leading "Re:"/"Fwd:" kept: RFC 8621 sorts on the header value)."""

    email_id: str
    thread_id: str
    mailbox_ids: tuple[str, ...]
    keywords: tuple[str, ...]  # lowercased
    received_at: int  # unix seconds
    sent_at: int | None
    size: int
    has_attachment: bool
    from_sort: str
    to_sort: str
    subject_sort: str
    message_ids: tuple[str, ...]  # its Message-ID header values, for threading and dedup
    # Full text (RFC 8621 section 4.4.1: text, from, to, cc, bcc, subject, body, attachments).
    from_text: str
    to_text: str
    cc_text: str
    bcc_text: str
    subject_text: str
    body_text: str
    attachment_names: str
    headers_text: str  # "name: value" lines, for the `header` filter


@dataclass(frozen=True, slots=True)
class EmailQuery:
    """A validated Email/query, as plain data (the store does not import core).

    `filter` is None, a condition dict (RFC 8621 section 4.4.1 names and validated values), or
    {"operator": "AND"|"OR"|"NOT", "conditions": [...]} nested. `sort` is a list of
    (property, is_ascending, keyword-or-None) with properties receivedAt, sentAt, size, from, to,
    subject, hasKeyword, allInThreadHaveKeyword, someInThreadHaveKeyword. Ties break on
    receivedAt descending then id, so results are stable."""

    filter: Any
    sort: tuple[tuple[str, bool, str | None], ...]
    collapse_threads: bool


@dataclass(frozen=True, slots=True)
class EmailQueryResult:
    ids: list[str]
    position: int
    total: int | None
    anchor_found: bool = True


@dataclass(frozen=True, slots=True)
class MailboxCounts:
    total_emails: int
    unread_emails: int
    total_threads: int
    unread_threads: int


@dataclass(frozen=True, slots=True)
class Snippet:
    subject: str | None  # HTML-escaped with <mark></mark> around matches, or None
    preview: str | None


class MailReadTxn(Protocol):
    def query_emails(
        self,
        account_id: str,
        query: EmailQuery,
        position: int,
        limit: int | None,
        anchor: str | None,
        anchor_offset: int,
        calculate_total: bool,
    ) -> EmailQueryResult:
        """RFC 8620 section 5.5 windowing done in the store (position may be negative; an
        anchor that is not in the results gives anchor_found=False)."""
        ...

    def mailbox_counts(
        self, account_id: str, mailbox_ids: Sequence[str]
    ) -> dict[str, MailboxCounts]: ...

    def emails_in_mailbox(self, account_id: str, mailbox_id: str) -> list[str]: ...

    def thread_for_message_ids(self, account_id: str, message_ids: Sequence[str]) -> str | None:
        """The thread of an existing Email whose Message-ID is one of these, if any."""
        ...

    def search_snippets(
        self, account_id: str, email_ids: Sequence[str], filter: Any
    ) -> dict[str, Snippet]: ...

    def mailbox_changes_since(self, account_id: str, since_modseq: int) -> tuple[set[str], bool]:
        """Mailbox ids whose counts changed since the modseq, and whether any Mailbox's other
        properties changed too (then updatedProperties is null)."""
        ...


class MailWriteTxn(MailReadTxn, Protocol):
    def put_email_index(self, entry: EmailIndexEntry) -> None:
        """Insert or replace the index of one Email (mailboxes, keywords, text)."""
        ...

    def set_email_flags(
        self, email_id: str, mailbox_ids: Sequence[str], keywords: Sequence[str]
    ) -> None:
        """Update only mailboxIds and keywords (the mutable part of an Email)."""
        ...

    def delete_email_index(self, email_id: str) -> None: ...

    def mark_mailbox_counts_changed(self, mailbox_ids: Sequence[str]) -> None:
        """Record that these mailboxes' counts changed in this transaction (bumps the Mailbox
        state), so Mailbox/changes can answer `updatedProperties` with only the counts when no
        other property changed (RFC 8621 section 2.2)."""
        ...
