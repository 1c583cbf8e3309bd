"""The query shapes that keep Email/query fast at 100k Emails (bench/mail_index.py): SQLite's own
EXPLAIN QUERY PLAN must show the mailbox index for the Inbox page and the FTS matches driving a
rare-word search; and both ways of running a full-text search return the same Emails."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from mail_index_support import ids
from test_mail_query_filters import CONDITIONS, OPERATORS

from satchel.store import sqlite_mail, sqlite_mail_query
from satchel.store.base import Store
from satchel.store.mail_base import EmailQuery
from satchel.store.sqlite_mail_query import build_query


def plan(
    tmp_path: Path,
    account_id: str,
    filter: Any,
    drive_by_text: bool = True,
    sort: tuple[tuple[str, bool, str | None], ...] = (),
) -> str:
    sql = build_query(account_id, EmailQuery(filter, sort, False), drive_by_text)
    select = (
        f"SELECT {sql.columns} FROM {sql.source} WHERE {sql.where} ORDER BY {sql.order} LIMIT 50"
    )
    conn = sqlite3.connect(tmp_path / "data" / "satchel.db")
    try:
        rows = conn.execute("EXPLAIN QUERY PLAN " + select, [*sql.params, *sql.order_params])
        return "\n".join(str(row[3]) for row in rows)
    finally:
        conn.close()


def test_a_mailbox_page_walks_the_mailbox_index_in_order(
    store: Store, mail_account: str, tmp_path: Path
) -> None:
    shown = plan(tmp_path, mail_account, {"inMailbox": "inbox"})
    assert "USING COVERING INDEX email_mailboxes_sorted" in shown
    assert "TEMP B-TREE" not in shown  # no sort: the index order is the answer's order
    assert " e " not in shown  # and no Email row is read


def test_the_account_is_walked_in_received_order(
    store: Store, mail_account: str, tmp_path: Path
) -> None:
    shown = plan(tmp_path, mail_account, {"hasKeyword": "$seen"})
    assert "emails_by_received" in shown
    assert "TEMP B-TREE" not in shown


def test_a_rare_word_starts_from_its_matches(
    store: Store, mail_account: str, tmp_path: Path
) -> None:
    by_subject = (("subject", True, None),)
    shown = plan(tmp_path, mail_account, {"inMailbox": "inbox", "text": "hello"}, sort=by_subject)
    assert shown.splitlines()[0].startswith("SEARCH e USING INTEGER PRIMARY KEY")


def test_newest_first_text_search_walks_the_matches_in_index_order(
    store: Store, mail_account: str, tmp_path: Path
) -> None:
    """The default sort with a word: the full-text index yields its matches newest first
    (num follows receivedAt), so the page ends after 50 matches, with no sort of them all."""
    for sort in ((), (("receivedAt", False, None),)):
        shown = plan(tmp_path, mail_account, {"inMailbox": "inbox", "text": "hello"}, sort=sort)
        first, second = shown.splitlines()[:2]
        assert first.startswith("SCAN f VIRTUAL TABLE")
        assert second.startswith("SEARCH e USING INTEGER PRIMARY KEY")
        assert "TEMP B-TREE" not in shown


@pytest.mark.parametrize(("filter", "expected"), CONDITIONS + OPERATORS)
def test_newest_first_gives_what_the_general_plan_gives(
    store: Store, mail_account: str, monkeypatch: pytest.MonkeyPatch, filter: Any, expected: str
) -> None:
    newest = (("receivedAt", False, None),)
    walked = ids(store, mail_account, filter, sort=newest)
    monkeypatch.setattr(sqlite_mail_query, "newest_first", lambda query: False)
    monkeypatch.setattr(sqlite_mail, "newest_first", lambda query: False)
    assert ids(store, mail_account, filter, sort=newest) == walked


TEXTUAL = [
    (filter, expected)
    for filter, expected in CONDITIONS + OPERATORS
    if any(word in str(filter) for word in ("text", "from", "subject", "body", "header"))
]


@pytest.mark.parametrize(("filter", "expected"), TEXTUAL)
def test_common_words_walk_in_sort_order_with_the_same_results(
    store: Store, mail_account: str, monkeypatch: pytest.MonkeyPatch, filter: Any, expected: str
) -> None:
    monkeypatch.setattr(sqlite_mail, "FEW_MATCHES", 0)  # every word counts as common
    assert ids(store, mail_account, filter, limit=50) == expected
    in_inbox = {"operator": "AND", "conditions": [{"inMailbox": "inbox"}, filter]}
    assert ids(store, mail_account, in_inbox, limit=50) == "".join(
        i for i in expected if i in "heba"
    )
