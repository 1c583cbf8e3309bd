"""Mailbox counts on SQLite (RFC 8621 section 2: totalEmails, unreadEmails, totalThreads,
unreadThreads), kept as counters that every mail-index write updates, so Mailbox/get reads four
integers instead of counting the mailbox. A change to one Email costs the same whatever the size
of its thread: mailbox_threads holds each (thread, mailbox) pair's share and thread_unread counts
each thread's unread Emails outside and inside the trash.

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


def _by_email(
    members: Iterable[tuple[int, int, str | None]],
) -> list[tuple[int, int, frozenset[str]]]:
    emails: dict[int, tuple[int, set[str]]] = {}
    for num, unread, mailbox_id in members:
        boxes = emails.setdefault(num, (unread, set()))[1]
        if mailbox_id is not None:  # an Email in no mailbox (LEFT JOIN) still counts as unread
            boxes.add(mailbox_id)
    return [(num, unread, frozenset(boxes)) for num, (unread, boxes) in emails.items()]


def thread_shares(
    members: Iterable[tuple[int, int, str | None]], trash: str | None
) -> dict[str, Share]:
    """Each mailbox's share of one thread, from its (email num, unread, mailbox id) rows."""
    emails = {num: (unread, boxes) for num, unread, boxes in _by_email(members)}
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


EmailState = tuple[str, frozenset[str], int]  # (thread id, mailbox ids, unread)


def email_state(conn: sqlite3.Connection, num: int) -> EmailState | None:
    """What the counters know of one indexed Email (read before changing it)."""
    row = conn.execute("SELECT thread_id, unread FROM emails WHERE num = ?", (num,)).fetchone()
    if row is None:
        return None
    boxes = conn.execute("SELECT mailbox_id FROM email_mailboxes WHERE num = ?", (num,))
    return str(row[0]), frozenset(r[0] for r in boxes), int(row[1])


def apply_change(
    conn: sqlite3.Connection,
    account_id: str,
    before: EmailState | None,
    after: EmailState | None,
) -> set[str] | None:
    """Update the counters for one Email going from `before` to `after` (None: not indexed);
    return the mailboxes whose counts changed, or None when every counter was rebuilt (any of
    them may have). The cost does not grow with the thread: the thread's unread Emails are
    counted, not listed."""
    trash = trash_id(conn, account_id)
    if not _current_basis(conn, account_id, trash):
        rebuild(conn, account_id, trash)
        return None
    if before == after:
        return set()
    deltas: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    threads: list[str] = []
    for state, sign in ((before, -1), (after, 1)):
        if state is not None:
            _contribute(conn, account_id, state, sign, trash, deltas)
            threads.append(state[0])
    for thread_id in dict.fromkeys(threads):
        _refresh_unread_thread(conn, account_id, thread_id, trash, deltas)
    _add(conn, account_id, deltas)
    return {mailbox_id for mailbox_id, delta in deltas.items() if any(delta)}


def _contribute(
    conn: sqlite3.Connection,
    account_id: str,
    state: EmailState,
    sign: int,
    trash: str | None,
    deltas: dict[str, list[int]],
) -> None:
    thread_id, mailboxes, unread = state
    for mailbox_id in mailboxes:
        key = (account_id, thread_id, mailbox_id)
        conn.execute(
            "INSERT INTO mailbox_threads (account_id, thread_id, mailbox_id, emails,"
            " unread_emails, unread_thread) VALUES (?, ?, ?, 0, 0, 0) ON CONFLICT DO NOTHING",
            key,
        )
        emails, flag = conn.execute(
            "UPDATE mailbox_threads SET emails = emails + ?, unread_emails = unread_emails + ?"
            " WHERE account_id = ? AND thread_id = ? AND mailbox_id = ?"
            " RETURNING emails, unread_thread",
            (sign, sign * unread, *key),
        ).fetchone()
        delta = deltas[mailbox_id]
        delta[0] += sign
        delta[1] += sign * unread
        if sign > 0 and emails == 1:
            delta[2] += 1  # the thread is new to this mailbox
        elif sign < 0 and emails == 0:
            delta[2] -= 1  # the thread left this mailbox
            delta[3] -= flag
            conn.execute(
                "DELETE FROM mailbox_threads WHERE account_id = ? AND thread_id = ?"
                " AND mailbox_id = ?",
                key,
            )
    if unread:
        # Unread Emails not only in the trash make the thread unread for other mailboxes;
        # unread Emails in the trash make it unread for the trash.
        outside, inside = int(mailboxes != {trash}), int(trash in mailboxes)
        conn.execute(
            "INSERT INTO thread_unread (account_id, thread_id, unread_outside, unread_inside)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (account_id, thread_id) DO UPDATE SET"
            " unread_outside = unread_outside + excluded.unread_outside,"
            " unread_inside = unread_inside + excluded.unread_inside",
            (account_id, thread_id, sign * outside, sign * inside),
        )


def _refresh_unread_thread(
    conn: sqlite3.Connection,
    account_id: str,
    thread_id: str,
    trash: str | None,
    deltas: dict[str, list[int]],
) -> None:
    row = conn.execute(
        "SELECT unread_outside, unread_inside FROM thread_unread"
        " WHERE account_id = ? AND thread_id = ?",
        (account_id, thread_id),
    ).fetchone()
    outside, inside = (0, 0) if row is None else (row[0], row[1])
    if row is not None and outside == inside == 0:
        conn.execute(
            "DELETE FROM thread_unread WHERE account_id = ? AND thread_id = ?",
            (account_id, thread_id),
        )
    for mailbox_id, flag in conn.execute(
        "SELECT mailbox_id, unread_thread FROM mailbox_threads"
        " WHERE account_id = ? AND thread_id = ?",
        (account_id, thread_id),
    ).fetchall():
        wanted = int((inside if mailbox_id == trash else outside) > 0)
        if wanted != flag:
            conn.execute(
                "UPDATE mailbox_threads SET unread_thread = ? WHERE account_id = ?"
                " AND thread_id = ? AND mailbox_id = ?",
                (wanted, account_id, thread_id, mailbox_id),
            )
            deltas[mailbox_id][3] += wanted - flag


def rebuild(conn: sqlite3.Connection, account_id: str, trash: str | None) -> None:
    """Recompute every counter of the account (its first mail, or the trash role moved)."""
    for table in ("mailbox_threads", "mailbox_counters", "thread_unread"):
        conn.execute(f"DELETE FROM {table} WHERE account_id = ?", (account_id,))
    conn.execute(
        "INSERT INTO mail_counts_basis (account_id, trash_id) VALUES (?, ?)"
        " ON CONFLICT (account_id) DO UPDATE SET trash_id = excluded.trash_id",
        (account_id, trash),
    )
    by_thread: dict[str, list[tuple[int, int, str | None]]] = defaultdict(list)
    for num, unread, mailbox_id, thread_id in conn.execute(
        "SELECT e.num, e.unread, m.mailbox_id, e.thread_id FROM emails AS e"
        " LEFT JOIN email_mailboxes AS m ON m.num = e.num WHERE e.account_id = ?",
        (account_id,),
    ):
        by_thread[thread_id].append((num, unread, mailbox_id))
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for thread_id, members in by_thread.items():
        shares = thread_shares(members, trash)
        _store_shares(conn, account_id, thread_id, shares)
        unread = {num: mailboxes for num, u, mailboxes in _by_email(members) if u}
        outside = sum(mailboxes != {trash} for mailboxes in unread.values())
        inside = sum(trash in mailboxes for mailboxes in unread.values())
        if outside or inside:
            conn.execute(
                "INSERT INTO thread_unread (account_id, thread_id, unread_outside, unread_inside)"
                " VALUES (?, ?, ?, ?)",
                (account_id, thread_id, outside, inside),
            )
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
