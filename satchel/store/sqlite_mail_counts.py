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


# INDEXED BY: the planner would rather walk records_by_id in id order (for the ORDER BY),
# reading every Mailbox record of the account (migration 0010).
_TRASH_SQL: Final = (
    "SELECT id FROM records INDEXED BY records_mailbox_role"
    f" WHERE account_id = ?1 AND type = '{MAILBOX}' AND destroyed_modseq IS NULL"
    " AND json_extract(data, '$.role') = 'trash' ORDER BY id LIMIT 1"
)
# (the trash Mailbox, whether the counters were computed for it) in one statement.
BASIS_SQL: Final = (
    "SELECT t.id, EXISTS (SELECT 1 FROM mail_counts_basis AS b WHERE b.account_id = ?1"
    f" AND b.trash_id IS t.id) FROM (SELECT ({_TRASH_SQL}) AS id) AS t"
)


def counts_basis(conn: sqlite3.Connection, account_id: str) -> tuple[str | None, bool]:
    """The trash Mailbox (role "trash") and whether the counters are current for it."""
    trash, current = conn.execute(BASIS_SQL, (account_id,)).fetchone()
    return trash, bool(current)


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


EmailState = tuple[str, frozenset[str], int]  # (thread id, mailbox ids, unread)


def email_state(conn: sqlite3.Connection, num: int) -> EmailState | None:
    """What the counters know of one indexed Email (read before changing it)."""
    row = conn.execute("SELECT thread_id, unread FROM emails WHERE num = ?", (num,)).fetchone()
    if row is None:
        return None
    boxes = conn.execute("SELECT mailbox_id FROM email_mailboxes WHERE num = ?", (num,))
    return str(row[0]), frozenset(r[0] for r in boxes), int(row[1])


_SHARE_SQL: Final = (
    "INSERT INTO mailbox_threads (account_id, thread_id, mailbox_id, emails, unread_emails,"
    " unread_thread) VALUES (?, ?, ?, ?, ?, 0) ON CONFLICT (account_id, thread_id, mailbox_id)"
    " DO UPDATE SET emails = emails + excluded.emails,"
    " unread_emails = unread_emails + excluded.unread_emails RETURNING emails, unread_thread"
)
_THREAD_UNREAD_SQL: Final = (
    "INSERT INTO thread_unread (account_id, thread_id, unread_outside, unread_inside)"
    " VALUES (?, ?, ?, ?) ON CONFLICT (account_id, thread_id) DO UPDATE SET"
    " unread_outside = unread_outside + excluded.unread_outside,"
    " unread_inside = unread_inside + excluded.unread_inside"
    " RETURNING unread_outside, unread_inside"
)
# Flip the unread_thread flags that disagree with the thread's unread counts (the trash's
# flag follows unread Emails inside the trash, the others' those outside it).
_FLAGS_SQL: Final = (
    "UPDATE mailbox_threads SET unread_thread = 1 - unread_thread"
    " WHERE account_id = ? AND thread_id = ?"
    " AND unread_thread != (CASE WHEN mailbox_id IS ? THEN ? ELSE ? END)"
    " RETURNING mailbox_id, unread_thread"
)


def apply_change(
    conn: sqlite3.Connection,
    account_id: str,
    before: EmailState | None,
    after: EmailState | None,
    basis: tuple[str | None, bool] | None = None,
) -> set[str] | None:
    """Update the counters for one Email going from `before` to `after` (None: not indexed);
    return the mailboxes whose counts changed, or None when every counter was rebuilt (any of
    them may have). `basis` is `counts_basis` when the caller already read it. The cost does
    not grow with the thread: the thread's unread Emails are counted, not listed.

    Only net changes are written: a flag flip moves one mailbox_threads row per mailbox of the
    Email and the thread's unread counts, and touches the unread_thread flags only when the
    thread's unreadness (outside or inside the trash) changed."""
    trash, current = counts_basis(conn, account_id) if basis is None else basis
    if not current:
        rebuild(conn, account_id, trash)
        return None
    if before == after:
        return set()
    shares: dict[tuple[str, str], list[int]] = {}  # (thread, mailbox) -> [emails, unread]
    unread_by_thread: dict[str, list[int]] = {}  # thread -> [unread outside, inside the trash]
    for state, sign in ((before, -1), (after, 1)):
        if state is None:
            continue
        thread_id, mailboxes, unread = state
        for mailbox_id in mailboxes:
            share = shares.setdefault((thread_id, mailbox_id), [0, 0])
            share[0] += sign
            share[1] += sign * unread
        counts = unread_by_thread.setdefault(thread_id, [0, 0])
        if unread:
            # Unread Emails not only in the trash make the thread unread for other mailboxes;
            # unread Emails in the trash make it unread for the trash.
            counts[0] += sign * (mailboxes != {trash})
            counts[1] += sign * (trash in mailboxes)
    deltas: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    joined: set[str] = set()  # threads new to a mailbox (its row's flag is still 0)
    for (thread_id, mailbox_id), (emails_delta, unread_delta) in shares.items():
        if not emails_delta and not unread_delta:
            continue
        key = (account_id, thread_id, mailbox_id)
        emails, flag = conn.execute(_SHARE_SQL, (*key, emails_delta, unread_delta)).fetchone()
        delta = deltas[mailbox_id]
        delta[0] += emails_delta
        delta[1] += unread_delta
        if emails > 0 and emails == emails_delta:
            delta[2] += 1  # the thread is new to this mailbox
            joined.add(thread_id)
        elif emails == 0 and emails_delta:
            delta[2] -= 1  # the thread left this mailbox
            delta[3] -= flag
            conn.execute(
                "DELETE FROM mailbox_threads WHERE account_id = ? AND thread_id = ?"
                " AND mailbox_id = ?",
                key,
            )
    for thread_id, (outside_delta, inside_delta) in unread_by_thread.items():
        if outside_delta or inside_delta:
            outside, inside = conn.execute(
                _THREAD_UNREAD_SQL, (account_id, thread_id, outside_delta, inside_delta)
            ).fetchone()
            if outside == inside == 0:
                conn.execute(
                    "DELETE FROM thread_unread WHERE account_id = ? AND thread_id = ?",
                    (account_id, thread_id),
                )
            moved = (outside > 0) != (outside > outside_delta) or (inside > 0) != (
                inside > inside_delta
            )
            if not moved and thread_id not in joined:
                continue
        elif thread_id in joined:
            row = conn.execute(
                "SELECT unread_outside, unread_inside FROM thread_unread"
                " WHERE account_id = ? AND thread_id = ?",
                (account_id, thread_id),
            ).fetchone()
            outside, inside = (0, 0) if row is None else row
        else:
            continue
        for mailbox_id, flag in conn.execute(
            _FLAGS_SQL, (account_id, thread_id, trash, int(inside > 0), int(outside > 0))
        ):
            deltas[mailbox_id][3] += 1 if flag else -1
    _add(conn, account_id, deltas)
    return {mailbox_id for mailbox_id, delta in deltas.items() if any(delta)}


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
    # One statement: the counters' basis (one row, always there) with the counters asked for.
    rows = conn.execute(
        f"SELECT b.*, c.mailbox_id, c.total_emails, c.unread_emails, c.total_threads,"
        f" c.unread_threads FROM ({BASIS_SQL}) AS b LEFT JOIN mailbox_counters AS c"
        " ON c.account_id = ?1 AND c.mailbox_id IN (SELECT value FROM json_each(?2))",
        (account_id, orjson.dumps(wanted)),
    ).fetchall()
    trash, current = rows[0][0], bool(rows[0][1])
    found = {row[2]: row[3:] for row in rows if row[2] is not None}
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
