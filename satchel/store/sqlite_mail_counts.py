"""Mailbox counts on SQLite (RFC 8621 section 2: totalEmails, unreadEmails, totalThreads,
unreadThreads), kept as counters that every mail-index write updates for the threads it touched,
so Mailbox/get reads four integers instead of counting the mailbox.

Unread means neither `$seen` nor `$draft`. unreadThreads is the section's "quality
implementation": a thread counts for a mailbox when it has an Email in that mailbox and an unread
Email anywhere, except that Emails only in the trash are ignored for other mailboxes and Emails
outside the trash are ignored for the trash. Which mailbox is the trash is read from the Mailbox
records (role "trash"); the counters remember the trash they were computed for (mail_counts_basis).
When the role has moved since, reads count from the index instead and the next write rebuilds."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, Final

import orjson

from satchel.store.mail_base import MailboxCounts

MAILBOX: Final = "Mailbox"

# (emails in the mailbox, unread ones among them, whether the thread is unread for the mailbox)
Share = tuple[int, int, int]


def trash_id(conn: sqlite3.Connection, account_id: str) -> str | None:
    row = conn.execute(
        "SELECT id FROM records WHERE account_id = ? AND type = ? AND destroyed_modseq IS NULL"
        " AND json_extract(data, '$.role') = 'trash' ORDER BY id LIMIT 1",
        (account_id, MAILBOX),
    ).fetchone()
    return None if row is None else str(row[0])


def thread_shares(members: Iterable[tuple[int, int, str]], trash: str | None) -> dict[str, Share]:
    """Each mailbox's share of one thread, from its (email num, unread, mailbox id) rows."""
    emails: dict[int, tuple[int, set[str]]] = {}
    for num, unread, mailbox_id in members:
        emails.setdefault(num, (unread, set()))[1].add(mailbox_id)
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for unread, mailboxes in emails.values():
        for mailbox_id in mailboxes:
            counts[mailbox_id][0] += 1
            counts[mailbox_id][1] += unread
    # Which unread Emails make the thread unread outside the trash, and inside it.
    unread_outside = any(u and mailboxes != {trash} for u, mailboxes in emails.values())
    unread_inside = any(u and trash in mailboxes for u, mailboxes in emails.values())
    return {
        mailbox_id: (total, unread, int(unread_inside if mailbox_id == trash else unread_outside))
        for mailbox_id, (total, unread) in counts.items()
    }


_MEMBERS: Final = (
    "SELECT e.num, e.unread, m.mailbox_id FROM emails AS e"
    " JOIN email_mailboxes AS m ON m.num = e.num WHERE e.account_id = ?"
)


def _add(conn: sqlite3.Connection, account_id: str, deltas: dict[str, list[int]]) -> None:
    conn.executemany(
        "INSERT INTO mailbox_counters (account_id, mailbox_id, total_emails, unread_emails,"
        " total_threads, unread_threads) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (account_id, mailbox_id) DO UPDATE SET"
        " total_emails = total_emails + excluded.total_emails,"
        " unread_emails = unread_emails + excluded.unread_emails,"
        " total_threads = total_threads + excluded.total_threads,"
        " unread_threads = unread_threads + excluded.unread_threads",
        [(account_id, m, *d) for m, d in deltas.items() if any(d)],
    )


def _store_shares(
    conn: sqlite3.Connection, account_id: str, thread_id: str, shares: dict[str, Share]
) -> None:
    conn.executemany(
        "INSERT INTO mailbox_threads (account_id, thread_id, mailbox_id, emails, unread_emails,"
        " unread_thread) VALUES (?, ?, ?, ?, ?, ?)",
        [(account_id, thread_id, m, *share) for m, share in shares.items()],
    )


def _current_basis(conn: sqlite3.Connection, account_id: str, trash: str | None) -> bool:
    row = conn.execute(
        "SELECT trash_id FROM mail_counts_basis WHERE account_id = ?", (account_id,)
    ).fetchone()
    return row is not None and row[0] == trash


def recount_threads(conn: sqlite3.Connection, account_id: str, thread_ids: Iterable[str]) -> None:
    """Bring the counters up to date after the index of these threads' Emails changed."""
    trash = trash_id(conn, account_id)
    if not _current_basis(conn, account_id, trash):
        rebuild(conn, account_id, trash)
        return
    for thread_id in dict.fromkeys(thread_ids):
        old = {
            row[0]: (row[1], row[2], row[3])
            for row in conn.execute(
                "SELECT mailbox_id, emails, unread_emails, unread_thread FROM mailbox_threads"
                " WHERE account_id = ? AND thread_id = ?",
                (account_id, thread_id),
            )
        }
        new = thread_shares(
            conn.execute(_MEMBERS + " AND e.thread_id = ?", (account_id, thread_id)), trash
        )
        if new == old:
            continue
        deltas: dict[str, list[int]] = {}
        for mailbox_id in old.keys() | new.keys():
            before, after = old.get(mailbox_id), new.get(mailbox_id)
            b, a = before or (0, 0, 0), after or (0, 0, 0)
            present = int(after is not None) - int(before is not None)
            deltas[mailbox_id] = [a[0] - b[0], a[1] - b[1], present, a[2] - b[2]]
        _add(conn, account_id, deltas)
        conn.execute(
            "DELETE FROM mailbox_threads WHERE account_id = ? AND thread_id = ?",
            (account_id, thread_id),
        )
        _store_shares(conn, account_id, thread_id, new)


def rebuild(conn: sqlite3.Connection, account_id: str, trash: str | None) -> None:
    """Recompute every counter of the account (its first mail, or the trash role moved)."""
    conn.execute("DELETE FROM mailbox_threads WHERE account_id = ?", (account_id,))
    conn.execute("DELETE FROM mailbox_counters WHERE account_id = ?", (account_id,))
    conn.execute(
        "INSERT INTO mail_counts_basis (account_id, trash_id) VALUES (?, ?)"
        " ON CONFLICT (account_id) DO UPDATE SET trash_id = excluded.trash_id",
        (account_id, trash),
    )
    by_thread: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    for num, unread, mailbox_id, thread_id in conn.execute(
        "SELECT e.num, e.unread, m.mailbox_id, e.thread_id FROM emails AS e"
        " JOIN email_mailboxes AS m ON m.num = e.num WHERE e.account_id = ?",
        (account_id,),
    ):
        by_thread[thread_id].append((num, unread, mailbox_id))
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for thread_id, members in by_thread.items():
        shares = thread_shares(members, trash)
        _store_shares(conn, account_id, thread_id, shares)
        for mailbox_id, (emails, unread, unread_thread) in shares.items():
            total = totals[mailbox_id]
            total[0] += emails
            total[1] += unread
            total[2] += 1
            total[3] += unread_thread
    _add(conn, account_id, totals)


def read_counts(
    conn: sqlite3.Connection, account_id: str, mailbox_ids: Sequence[str]
) -> dict[str, MailboxCounts]:
    wanted = list(dict.fromkeys(mailbox_ids))
    if not wanted:
        return {}
    found = {
        row[0]: row[1:]
        for row in conn.execute(
            "SELECT mailbox_id, total_emails, unread_emails, total_threads, unread_threads"
            " FROM mailbox_counters WHERE account_id = ?"
            " AND mailbox_id IN (SELECT value FROM json_each(?))",
            (account_id, orjson.dumps(wanted)),
        )
    }
    trash = trash_id(conn, account_id)
    current = _current_basis(conn, account_id, trash)
    result: dict[str, MailboxCounts] = {}
    for mailbox_id in wanted:
        counts: Any = found.get(mailbox_id) or (0, 0, 0, 0)
        unread_threads = (
            counts[3] if current else _count_unread_threads(conn, account_id, mailbox_id, trash)
        )
        result[mailbox_id] = MailboxCounts(counts[0], counts[1], counts[2], unread_threads)
    return result


def _count_unread_threads(
    conn: sqlite3.Connection, account_id: str, mailbox_id: str, trash: str | None
) -> int:
    """unreadThreads counted from the index (the counters were made for another trash)."""
    if mailbox_id == trash:
        sql = (
            "SELECT COUNT(DISTINCT thread_id) FROM email_mailboxes"
            " WHERE account_id = ? AND mailbox_id = ? AND unread = 1"
        )
        params: tuple[Any, ...] = (account_id, mailbox_id)
    else:
        not_only_in_trash = (
            ""
            if trash is None
            else " AND EXISTS (SELECT 1 FROM email_mailboxes AS x WHERE x.num = u.num"
            " AND x.mailbox_id != ?)"
        )
        sql = (
            "SELECT COUNT(DISTINCT m.thread_id) FROM email_mailboxes AS m"
            " WHERE m.account_id = ? AND m.mailbox_id = ? AND m.thread_id IN"
            " (SELECT u.thread_id FROM emails AS u WHERE u.account_id = ? AND u.unread = 1"
            f"{not_only_in_trash})"
        )
        params = (account_id, mailbox_id, account_id) + (() if trash is None else (trash,))
    return int(conn.execute(sql, params).fetchone()[0])
