"""The mail part of the storage protocols: what the store keeps of mail beyond the generic
records, so Email/query, counts and full-text search run in SQL. The mail code calls these
inside the same transaction as the Email record write, so the index and the record never
disagree.

Email objects themselves are ordinary records (type "Email") holding every stored property;
this index is derived from them. Threads are records of type "Thread" ({"emailIds": [...]}).

The SQLite implementation is `satchel/store/sqlite_mail.py`; `ReadTxn`/`WriteTxn` in
`satchel/store/base.py` include these protocols, so mail code type-checks against the normal txn.
Write methods act on the transaction's own account.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class EmailIndexEntry:
    """The indexed facts of one Email. Sort keys are pre-normalised by the caller, lowercased:
    `from_sort`/`to_sort` the name (or else the email) of the first address, "" if none;
    `subject_sort` the base subject (RFC 8621 section 4.4.2 -> RFC 5256 section 2.1: "Re:",
    "Fwd:" and "[fwd: ...]" wrappers removed). Keywords may be given in any case: the store
    lowercases them (RFC 8621 section 4.1.1: keywords are case-insensitive)."""

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
    # References and In-Reply-To values: a later message naming one of these joins the thread
    # even when the message they point to never arrived (RFC 8621 section 3 leaves threading
    # to the server; matching shared references is what JWZ threading does).
    references: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EmailQuery:
    """A validated Email/query, as plain data (the store does not import core).

    `filter` is None, a condition dict (RFC 8621 section 4.4.1 names and validated values), or
    {"operator": "AND"|"OR"|"NOT", "conditions": [...]} nested. `sort` is a list of
    (property, is_ascending, keyword-or-None) with properties receivedAt, sentAt, size, from, to,
    subject, hasKeyword, allInThreadHaveKeyword, someInThreadHaveKeyword. Ties break on
    receivedAt descending, then the most recently indexed first, so results are stable. An
    empty sort means receivedAt descending.

    Condition values: inMailbox an id; inMailboxOtherThan a list of ids; before/after a UTCDate
    string or unix seconds; minSize/maxSize ints; keyword conditions strings (any case);
    hasAttachment a bool; text/from/to/cc/bcc/subject/body strings (RFC 8621 section 4.4.1
    syntax: quoted phrases with backslash escapes, other whitespace-separated tokens all
    required, each matched as a word prefix, case- and diacritic-insensitively); header a list of
    one or two strings. A condition name or value the store cannot run raises
    `UnsupportedFilter`; a sort it cannot run (unknown property, keyword sort without keyword)
    raises ValueError."""

    filter: Any
    sort: tuple[tuple[str, bool, str | None], ...]
    collapse_threads: bool


class UnsupportedFilter(ValueError):
    """A filter the store cannot run (RFC 8620 section 5.5: unsupportedFilter)."""


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
        anchor that is not in the results gives anchor_found=False and no ids). `limit` None
        means every result from the start position: with position 0 that is the full sorted
        list a /queryChanges needs. `total` is None unless `calculate_total`. With
        `collapse_threads`, only the first Email of each Thread in sort order is kept (RFC 8621
        section 4.4.3) and the total counts Threads."""
        ...

    def mailbox_counts(
        self, account_id: str, mailbox_ids: Sequence[str]
    ) -> dict[str, MailboxCounts]:
        """RFC 8621 section 2 counts for each id (an empty mailbox gets zeros). Unread means
        neither $seen nor $draft. unreadThreads is the "quality implementation": threads with
        an email in the mailbox and an unread email anywhere, where emails only in the trash
        (the Mailbox record with role "trash") do not count for other mailboxes and emails
        outside the trash do not count for the trash."""
        ...

    def emails_in_mailbox(self, account_id: str, mailbox_id: str) -> list[str]:
        """Ids of the Emails in a mailbox, newest first."""
        ...

    def thread_for_message_ids(self, account_id: str, message_ids: Sequence[str]) -> str | None:
        """The thread of an existing Email whose Message-ID, or one of whose References /
        In-Reply-To values, is one of these (the most recently indexed such Email), if any."""
        ...

    def search_snippets(
        self, account_id: str, email_ids: Sequence[str], filter: Any
    ) -> dict[str, Snippet]:
        """RFC 8621 section 5: a Snippet for each indexed id (ids not indexed are absent, the
        caller reports them notFound). Subject terms come from the filter's text/subject
        conditions, body terms from text/body (conditions under NOT are ignored). The preview is
        at most 255 UTF-8 octets."""
        ...

    def mailbox_changes_since(self, account_id: str, since_modseq: int) -> tuple[set[str], bool]:
        """Mailbox ids whose counts changed since the modseq, and whether any Mailbox's other
        properties changed too (then updatedProperties is null). Creating or destroying a
        Mailbox counts as an other-property change. Exact whatever the order of record writes
        and count marks within a transaction (SQL triggers track the record writes)."""
        ...

    def text_index_shape(self) -> tuple[int, int]:
        """(segments, pages) of the full-text index: how fragmented it is, and a fingerprint
        that changes whenever anything is indexed or forgotten."""
        ...


class MailWriteTxn(MailReadTxn, Protocol):
    def put_email_index(self, entry: EmailIndexEntry) -> None:
        """Insert or replace the index of one Email (mailboxes, keywords, text). The mailboxes
        whose counts this moves are marked changed (as `mark_mailbox_counts_changed` does);
        so do `set_email_flags` and `delete_email_index`."""
        ...

    def set_email_flags(
        self, email_id: str, mailbox_ids: Sequence[str], keywords: Sequence[str]
    ) -> None:
        """Update only mailboxIds and keywords (the mutable part of an Email). KeyError if
        the Email is not indexed."""
        ...

    def change_email_keywords(
        self, email_id: str, added: Iterable[str], removed: Iterable[str]
    ) -> bool:
        """Add and remove keywords of an indexed Email (as `set_email_flags` would write them);
        False, and nothing written, when that changes nothing. KeyError if not indexed."""
        ...

    def delete_email_index(self, email_id: str) -> None:
        """Forget one Email's index (a no-op if it is not indexed)."""
        ...

    def compact_text_index(self, pages: int) -> bool:
        """Merge the full-text index's segments toward one, writing about `pages` pages; False
        when there was nothing left to merge. A word-prefix search merges the match lists of
        every segment, so one segment instead of 18 makes it 3x faster at 100k Emails."""
        ...

    def mark_mailbox_counts_changed(self, mailbox_ids: Sequence[str]) -> None:
        """Record that these mailboxes' counts changed in this transaction (bumps the Mailbox
        state), so Mailbox/changes can answer `updatedProperties` with only the counts when no
        other property changed (RFC 8621 section 2.2). The Mailbox records (live ones; unknown
        ids are ignored) show as updated at this transaction's modseq in Mailbox/changes."""
        ...
