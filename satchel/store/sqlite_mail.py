"""The mail index on SQLite (the `MailReadTxn`/`MailWriteTxn` protocols of `mail_base.py`), as
two mixins that `SqliteRead`/`SqliteWrite` inherit: Email/query in SQL, Mailbox counts (RFC 8621
section 2), threading lookups, SearchSnippets (section 5) and the counts-changed bookkeeping that
lets Mailbox/changes answer `updatedProperties`. The tables are in migrations/0002_mail.sql."""

from __future__ import annotations

import functools
import sqlite3
import time
from collections.abc import Iterable, Sequence
from typing import Any, Final, NamedTuple

import orjson

from satchel.store.mail_base import (
    EmailIndexEntry,
    EmailQuery,
    EmailQueryResult,
    MailboxCounts,
    Snippet,
)
from satchel.store.mail_text import (
    Highlighter,
    PrefixWords,
    highlight_preview,
    highlight_subject,
)
from satchel.store.sqlite_email_record import KEYWORDS_OF_E, MAILBOXES_OF_E, listed
from satchel.store.sqlite_mail_counts import BASIS_SQL, apply_change, email_state, read_counts
from satchel.store.sqlite_mail_query import (
    SqlQuery,
    build_query,
    newest_first,
    node_parts,
    required_text,
)

MAILBOX: Final = "Mailbox"
UNREAD_EXCLUDED: Final = ("$seen", "$draft")  # RFC 8621 section 2: unread means neither
FEW_MATCHES: Final = 2000  # below this many full-text matches, start from them
# Listing the terms that share a search word's prefix reads their postings (fts5vocab counts
# them), so it gives up past this many terms or seconds and the prefix is searched as such:
# "invoice" lists nothing in 0.04 ms at 100k Emails; "the" (their, them, then, ...) takes 18 ms.
PREFIX_WORDS_MAX: Final = 32
PREFIX_WORDS_BUDGET: Final = 0.0005


# `emails.num` orders Emails by (receivedAt, arrival): see migration 0007.
_NUM_EPOCH: Final = 1 << 38  # received_at seconds shifted positive (years -6700 to 10680)
_NUM_SLOTS: Final = 1 << 22  # Emails per second of receivedAt (num stays below 2^61)


def _next_num(conn: sqlite3.Connection, received_at: int) -> int:
    """The num of an Email received at `received_at`: after every Email of that second."""
    second = min(max(received_at, 1 - _NUM_EPOCH), _NUM_EPOCH - 1)
    base = (second + _NUM_EPOCH) * _NUM_SLOTS
    row = conn.execute(
        "SELECT max(num) FROM emails WHERE num >= ? AND num < ?", (base, base + _NUM_SLOTS)
    ).fetchone()
    if row[0] is None:
        return base
    if row[0] + 1 >= base + _NUM_SLOTS:
        raise ValueError("more Emails received in one second than the index numbers")
    return int(row[0]) + 1


def _json(values: Iterable[Any]) -> bytes:
    return orjson.dumps(list(values))


def _header_names(headers_text: str) -> str:
    """ " name1 name2 " of the "name: value" lines (continuation lines skipped), lowercased."""
    names = {
        line.split(":", 1)[0].strip().lower()
        for line in headers_text.splitlines()
        if ":" in line and line[:1] not in (" ", "\t")
    }
    names.discard("")
    return " " + " ".join(sorted(names)) + " "


def _is_unread(keywords: Iterable[str]) -> int:
    return int(not any(k in UNREAD_EXCLUDED for k in keywords))


def _snippet_texts(node: Any, wanted: tuple[str, ...], out: list[str]) -> list[str]:
    """The search strings of `wanted` conditions in a filter, skipping NOT branches (their
    terms are what the Email must not contain, nothing to highlight)."""
    if node is None:
        return out
    operator, conditions = node_parts(node)
    if operator is None:
        out.extend(v for k, v in conditions.items() if k in wanted and isinstance(v, str))
    elif operator != "NOT":
        for child in conditions:
            _snippet_texts(child, wanted, out)
    return out


class _Flags(NamedTuple):
    """What `set_email_flags` reads of an Email before changing its flags."""

    num: int
    thread_id: str
    received_at: int
    unread: int
    boxes: frozenset[str]
    keywords: set[str]
    basis: tuple[str | None, bool]  # counts_basis: the trash, and whether the counters use it


class SqliteMailRead:
    """Read side of the mail index; `SqliteRead` provides the connection."""

    __slots__ = ()
    _conn: sqlite3.Connection

    # --- Email/query ----------------------------------------------------------------------------
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
        # The same words are looked up by every plan this query considers: once is enough.
        prefix_words: PrefixWords = functools.cache(self._prefix_words)
        if anchor is None and position < 0 and limit is not None and not query.collapse_threads:
            # A negative position counts from the end (RFC 8620 section 5.5): the count gives
            # the start, then SQL pages as for a positive position (a last page of 50 among 8000
            # Emails: 3.3 ms -> 0.4 ms).
            counted = build_query(
                account_id, query, self._few_matches(query.filter, prefix_words), prefix_words
            )
            count = self._count(counted, False)
            page = self.query_emails(
                account_id, query, max(count + position, 0), limit, None, 0, False
            )
            return EmailQueryResult(page.ids, page.position, count if calculate_total else None)
        whole_list = anchor is not None or position < 0 or limit is None
        drive_by_text = (
            whole_list or newest_first(query) or self._few_matches(query.filter, prefix_words)
        )
        sql = build_query(account_id, query, drive_by_text, prefix_words)
        select = f"SELECT {sql.columns} FROM {sql.source} WHERE {sql.where} ORDER BY {sql.order}"
        params = [*sql.params, *sql.order_params]
        collapse = query.collapse_threads
        if anchor is None and position >= 0:
            # RFC 8620 section 5.5: a plain window; SQL stops as soon as it has the page.
            if limit == 0:
                ids: list[str] = []
            elif not collapse:
                rows = self._conn.execute(
                    select + " LIMIT ? OFFSET ?",
                    (*params, -1 if limit is None else limit, position),
                )
                ids = [row[0] for row in rows]
            else:
                wanted = None if limit is None else position + limit
                ids = self._collapsed(select, params, wanted)[position:]
            total = self._count(sql, collapse) if calculate_total else None
            return EmailQueryResult(ids, position, total)
        # A negative position or an anchor needs the whole ordered list.
        if collapse:
            every = self._collapsed(select, params, None)
        else:
            every = [row[0] for row in self._conn.execute(select, params)]
        total = len(every) if calculate_total else None
        if anchor is not None:
            try:
                index = every.index(anchor)
            except ValueError:
                return EmailQueryResult([], 0, total, anchor_found=False)
            start = max(index + anchor_offset, 0)
        else:
            start = max(len(every) + position, 0)
        end = None if limit is None else start + limit
        return EmailQueryResult(every[start:end], start, total)

    def _few_matches(self, filter: Any, prefix_words: PrefixWords) -> bool:
        """Whether a required full-text condition matches few Emails (in any account): then
        the query starts from the matches instead of walking the Emails in sort order."""
        for expression in required_text(filter, prefix_words):
            row = self._conn.execute(
                "SELECT COUNT(*) FROM (SELECT 1 FROM email_fts WHERE email_fts MATCH ? LIMIT ?)",
                (expression, FEW_MATCHES),
            ).fetchone()
            if row[0] < FEW_MATCHES:
                return True
        return False

    def _prefix_words(self, word: str) -> list[str] | None:
        """The index terms that begin with `word` (lowercase ASCII letters and digits), other
        than `word` itself; None when there are too many or listing them is too slow."""
        # Every term longer than `word` with its prefix sorts from word + "0" on (ASCII letters
        # and digits are all >= "0", other characters above them): the seek skips `word`'s own
        # postings, which would be the costly ones to count.
        upper = word[:-1] + chr(ord(word[-1]) + 1)
        cursor = self._conn.execute(
            "SELECT term FROM email_fts_terms WHERE term >= ? AND term < ?", (word + "0", upper)
        )
        deadline = time.perf_counter() + PREFIX_WORDS_BUDGET
        words: list[str] = []
        for (term,) in cursor:
            words.append(term)
            if len(words) > PREFIX_WORDS_MAX or time.perf_counter() > deadline:
                cursor.close()
                return None
        return words

    def _collapsed(self, select: str, params: list[Any], wanted: int | None) -> list[str]:
        # RFC 8621 section 4.4.3: keep the first Email of each Thread in sort order.
        seen: set[str] = set()
        ids: list[str] = []
        for email_id, thread_id in self._conn.execute(select, params):
            if thread_id in seen:
                continue
            seen.add(thread_id)
            ids.append(email_id)
            if wanted is not None and len(ids) >= wanted:
                break
        return ids

    def _count(self, sql: SqlQuery, collapse: bool) -> int:
        if sql.mailbox_only and sql.mailbox is not None:
            # RFC 8621 section 4.4: a lone inMailbox total is the mailbox's totalEmails or
            # totalThreads, which the counters hold.
            what = "total_threads" if collapse else "total_emails"
            row = self._conn.execute(
                f"SELECT {what} FROM mailbox_counters WHERE account_id = ? AND mailbox_id = ?",
                sql.mailbox,
            ).fetchone()
            return 0 if row is None else int(row[0])
        what = "COUNT(DISTINCT e.thread_id)" if collapse else "COUNT(*)"
        row = self._conn.execute(
            f"SELECT {what} FROM {sql.source} WHERE {sql.count_where}", sql.params
        ).fetchone()
        return int(row[0])

    # --- Mailbox counts ------------------------------------------------------------------------
    def mailbox_counts(
        self, account_id: str, mailbox_ids: Sequence[str]
    ) -> dict[str, MailboxCounts]:
        return read_counts(self._conn, account_id, mailbox_ids)

    def emails_in_mailbox(self, account_id: str, mailbox_id: str) -> list[str]:
        rows = self._conn.execute(
            "SELECT m.email_id FROM email_mailboxes AS m"
            " WHERE m.account_id = ? AND m.mailbox_id = ?"
            " ORDER BY m.received_at DESC, m.num DESC",
            (account_id, mailbox_id),
        )
        return [row[0] for row in rows]

    # --- threading -----------------------------------------------------------------------------
    def thread_for_message_ids(self, account_id: str, message_ids: Sequence[str]) -> str | None:
        if not message_ids:
            return None
        # A Message-ID match (kind 0) beats a shared reference (kind 1); then the newest.
        row = self._conn.execute(
            "SELECT e.thread_id FROM email_message_ids AS x JOIN emails AS e ON e.num = x.num"
            " WHERE x.account_id = ? AND x.message_id IN (SELECT value FROM json_each(?))"
            " ORDER BY x.kind, e.num DESC LIMIT 1",
            (account_id, _json(dict.fromkeys(message_ids))),
        ).fetchone()
        return None if row is None else str(row[0])

    # --- SearchSnippet -------------------------------------------------------------------------
    def search_snippets(
        self, account_id: str, email_ids: Sequence[str], filter: Any
    ) -> dict[str, Snippet]:
        # RFC 8621 section 5: subject terms from text/subject conditions, body from text/body.
        subject_marks = Highlighter.of(_snippet_texts(filter, ("text", "subject"), []))
        body_marks = Highlighter.of(_snippet_texts(filter, ("text", "body"), []))
        rows = self._conn.execute(
            "SELECT e.id, f.f_subject, f.f_body FROM emails AS e"
            " JOIN email_fts AS f ON f.rowid = e.num WHERE e.account_id = ?"
            " AND e.id IN (SELECT value FROM json_each(?))",
            (account_id, _json(dict.fromkeys(email_ids))),
        )
        return {
            email_id: Snippet(
                highlight_subject(subject_marks, subject or ""),
                highlight_preview(body_marks, body or ""),
            )
            for email_id, subject, body in rows
        }

    # --- Mailbox/changes -----------------------------------------------------------------------
    def mailbox_changes_since(self, account_id: str, since_modseq: int) -> tuple[set[str], bool]:
        counted = {
            row[0]
            for row in self._conn.execute(
                "SELECT mailbox_id FROM mailbox_modseqs WHERE account_id = ? AND counts_modseq > ?",
                (account_id, since_modseq),
            )
        }
        other = self._conn.execute(
            "SELECT 1 FROM mailbox_modseqs WHERE account_id = ? AND props_modseq > ? LIMIT 1",
            (account_id, since_modseq),
        ).fetchone()
        return counted, other is not None

    def text_index_shape(self) -> tuple[int, int]:
        row = self._conn.execute(
            "SELECT COUNT(DISTINCT segid), COUNT(*) FROM email_fts_idx"
        ).fetchone()
        return int(row[0]), int(row[1])


class SqliteMailWrite(SqliteMailRead):
    """Write side of the mail index, on the transaction's own account; `SqliteWrite` provides
    the account, the modseq and the change bookkeeping."""

    __slots__ = ()

    def _require_account(self) -> str:
        raise NotImplementedError  # provided by SqliteWrite

    def next_modseq(self) -> int:
        raise NotImplementedError  # provided by SqliteWrite

    def _changed(self, type_name: str) -> None:
        raise NotImplementedError  # provided by SqliteWrite

    def _forget(self, num: int, fts: bool) -> None:
        for table in ("email_mailboxes", "email_keywords", "email_message_ids"):
            self._conn.execute(f"DELETE FROM {table} WHERE num = ?", (num,))
        if fts:
            self._conn.execute("DELETE FROM email_fts WHERE rowid = ?", (num,))

    def put_email_index(self, entry: EmailIndexEntry) -> None:
        account_id = self._require_account()
        keywords = sorted({k.lower() for k in entry.keywords})
        unread = _is_unread(keywords)
        values = (
            entry.thread_id,
            entry.received_at,
            entry.sent_at,
            entry.size,
            int(entry.has_attachment),
            unread,
            entry.from_sort,
            entry.to_sort,
            entry.subject_sort,
            _header_names(entry.headers_text),
        )
        old = self._conn.execute(
            "SELECT num, thread_id FROM emails WHERE account_id = ? AND id = ?",
            (account_id, entry.email_id),
        ).fetchone()
        num = None if old is None else int(old[0])
        before = None if num is None else email_state(self._conn, num)
        if num is None:
            num = _next_num(self._conn, entry.received_at)
            self._conn.execute(
                "INSERT INTO emails (thread_id, received_at, sent_at, size, has_attachment,"
                " unread, from_sort, to_sort, subject_sort, header_names, account_id, id, num)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*values, account_id, entry.email_id, num),
            )
        else:
            self._conn.execute(
                "UPDATE emails SET thread_id = ?, received_at = ?, sent_at = ?, size = ?,"
                " has_attachment = ?, unread = ?, from_sort = ?, to_sort = ?, subject_sort = ?,"
                " header_names = ? WHERE num = ?",
                (*values, num),
            )
            self._forget(num, fts=True)
        self._put_flags(
            num,
            account_id,
            entry.email_id,
            entry.thread_id,
            entry.received_at,
            unread,
            entry.mailbox_ids,
            keywords,
        )
        self._conn.executemany(
            "INSERT OR IGNORE INTO email_message_ids (num, message_id, kind, account_id)"
            " VALUES (?, ?, ?, ?)",
            [(num, m, 0, account_id) for m in entry.message_ids]
            + [(num, m, 1, account_id) for m in entry.references],
        )
        self._conn.execute(
            "INSERT INTO email_fts (rowid, f_from, f_to, f_cc, f_bcc, f_subject, f_body,"
            " f_attachments, f_headers) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                num,
                entry.from_text,
                entry.to_text,
                entry.cc_text,
                entry.bcc_text,
                entry.subject_text,
                entry.body_text,
                entry.attachment_names,
                entry.headers_text,
            ),
        )
        after = (entry.thread_id, frozenset(entry.mailbox_ids), unread)
        self._counts_changed(apply_change(self._conn, account_id, before, after))

    def _put_flags(
        self,
        num: int,
        account_id: str,
        email_id: str,
        thread_id: str,
        received_at: int,
        unread: int,
        mailbox_ids: Iterable[str],
        keywords: Iterable[str],
    ) -> None:
        rows = [(num, m, account_id, received_at, email_id, thread_id, unread) for m in mailbox_ids]
        if rows:
            self._conn.executemany(
                "INSERT OR IGNORE INTO email_mailboxes"
                " (num, mailbox_id, account_id, received_at, email_id, thread_id, unread)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
        keyword_rows = [(num, k, account_id) for k in keywords]
        if keyword_rows:
            self._conn.executemany(
                "INSERT OR IGNORE INTO email_keywords (num, keyword, account_id) VALUES (?, ?, ?)",
                keyword_rows,
            )

    def set_email_flags(
        self, email_id: str, mailbox_ids: Sequence[str], keywords: Sequence[str]
    ) -> None:
        old = self._flags_of(email_id)
        self._write_flags(email_id, old, frozenset(mailbox_ids), {k.lower() for k in keywords})

    def change_email_keywords(
        self, email_id: str, added: Iterable[str], removed: Iterable[str]
    ) -> bool:
        old = self._flags_of(email_id)
        keywords = (old.keywords | {k.lower() for k in added}) - {k.lower() for k in removed}
        if keywords == old.keywords:
            return False
        self._write_flags(email_id, old, old.boxes, keywords)
        return True

    def _flags_of(self, email_id: str) -> _Flags:
        # One statement reads what the counters know of the Email (email_state), its mailbox
        # and keyword rows and the counters' basis (the trash).
        row = self._conn.execute(
            f"SELECT e.num, e.thread_id, e.received_at, e.unread, {MAILBOXES_OF_E},"
            f" {KEYWORDS_OF_E}, b.* FROM emails AS e, ({BASIS_SQL}) AS b"
            " WHERE e.account_id = ?1 AND e.id = ?2",
            (self._require_account(), email_id),
        ).fetchone()
        if row is None:
            raise KeyError(f"Email {email_id} is not indexed")
        num, thread_id, received_at, unread, boxes, keywords, trash, current = row
        return _Flags(
            num,
            thread_id,
            received_at,
            unread,
            frozenset(listed(boxes)),
            set(listed(keywords)),
            (trash, bool(current)),
        )

    def _write_flags(
        self, email_id: str, old: _Flags, boxes: frozenset[str], lowered: set[str]
    ) -> None:
        account_id = self._require_account()
        num, thread_id = old.num, old.thread_id
        unread = _is_unread(lowered)
        # Only the rows that change: a flag flip (the common write) touches no mailbox row but
        # its `unread`, and one keyword row.
        if unread != old.unread:
            self._conn.execute("UPDATE emails SET unread = ? WHERE num = ?", (unread, num))
            self._conn.execute("UPDATE email_mailboxes SET unread = ? WHERE num = ?", (unread, num))
        if gone := old.boxes - boxes:
            self._conn.executemany(
                "DELETE FROM email_mailboxes WHERE num = ? AND mailbox_id = ?",
                [(num, m) for m in gone],
            )
        if dropped := old.keywords - lowered:
            self._conn.executemany(
                "DELETE FROM email_keywords WHERE num = ? AND keyword = ?",
                [(num, k) for k in dropped],
            )
        self._put_flags(
            num,
            account_id,
            email_id,
            thread_id,
            old.received_at,
            unread,
            sorted(boxes - old.boxes),
            sorted(lowered - old.keywords),
        )
        before = (thread_id, old.boxes, old.unread)
        after = (thread_id, boxes, unread)
        self._counts_changed(apply_change(self._conn, account_id, before, after, old.basis))

    def delete_email_index(self, email_id: str) -> None:
        account_id = self._require_account()
        row = self._conn.execute(
            "SELECT num, thread_id FROM emails WHERE account_id = ? AND id = ?",
            (account_id, email_id),
        ).fetchone()
        if row is None:
            return
        before = email_state(self._conn, row[0])
        self._forget(row[0], fts=True)
        self._conn.execute("DELETE FROM emails WHERE num = ?", (row[0],))
        self._counts_changed(apply_change(self._conn, account_id, before, None))

    def _counts_changed(self, mailbox_ids: set[str] | None) -> None:
        """Mark the mailboxes whose counters an index change moved (all of the account's
        when the counters were rebuilt)."""
        if mailbox_ids is None:
            mailbox_ids = {
                row[0]
                for row in self._conn.execute(
                    "SELECT id FROM records WHERE account_id = ? AND type = ?"
                    " AND destroyed_modseq IS NULL",
                    (self._require_account(), MAILBOX),
                )
            }
        if mailbox_ids:
            self.mark_mailbox_counts_changed(sorted(mailbox_ids))

    def compact_text_index(self, pages: int) -> bool:
        # FTS5: a negative 'merge' works toward a single segment; fewer than 2 rows changed
        # means it found nothing to do.
        before = self._conn.total_changes
        self._conn.execute(
            "INSERT INTO email_fts (email_fts, rank) VALUES ('merge', ?)", (-abs(pages),)
        )
        return self._conn.total_changes - before >= 2

    def mark_mailbox_counts_changed(self, mailbox_ids: Sequence[str]) -> None:
        # RFC 8621 section 2.2: count changes make the Mailbox "updated" (and change its state)
        # while counts_modseq lets Mailbox/changes tell them from other property changes.
        account_id = self._require_account()
        if not mailbox_ids:
            return
        modseq = self.next_modseq()
        # The common case, one Mailbox, needs no JSON list to build and walk.
        param: str | bytes = mailbox_ids[0]
        which = "id = ?"
        if len(mailbox_ids) > 1:
            which, param = (
                "id IN (SELECT value FROM json_each(?))",
                _json(dict.fromkeys(mailbox_ids)),
            )
        live = [
            row[0]
            for row in self._conn.execute(
                "UPDATE records SET updated_modseq = ? WHERE account_id = ? AND type = ?"
                f" AND {which} AND destroyed_modseq IS NULL RETURNING id",
                (modseq, account_id, MAILBOX, param),
            )
        ]
        if not live:
            return
        self._conn.executemany(
            "INSERT INTO mailbox_modseqs (account_id, mailbox_id, counts_modseq) VALUES (?, ?, ?)"
            " ON CONFLICT (account_id, mailbox_id) DO UPDATE SET"
            " counts_modseq = excluded.counts_modseq",
            [(account_id, mailbox_id, modseq) for mailbox_id in live],
        )
        self._changed(MAILBOX)
