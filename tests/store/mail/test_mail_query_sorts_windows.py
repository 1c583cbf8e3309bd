"""Email/query sorting (RFC 8621 section 4.4.2, keyword sorts included), collapseThreads (section
4.4.3) and the windowing of RFC 8620 section 5.5 (negative positions, anchors, totals)."""

from __future__ import annotations

import pytest
from mail_index_support import ids, run_query

from satchel.store.base import Store

SORTS: list[tuple[list[tuple[str, bool, str | None]], str]] = [
    ([], "hgfedcba"),
    ([("receivedAt", False, None)], "hgfedcba"),
    ([("receivedAt", True, None)], "abcdefgh"),
    ([("size", True, None)], "ecaghbdf"),
    ([("size", False, None)], "fdbhgace"),
    ([("from", True, None)], "abcdefgh"),
    ([("to", True, None)], "hgfedcba"),
    ([("to", False, None)], "abcdefgh"),
    # Base subjects: "café menu" < "hello world" (b, a by receivedAt desc) < "invoice" < ...
    ([("subject", True, None)], "hbacedgf"),
    ([("subject", True, None), ("receivedAt", True, None)], "habcdefg"),
    ([("sentAt", True, None)], "cabdefgh"),  # c has no sentAt: null sorts first
    ([("hasKeyword", False, "$flagged")], "gchfedba"),
    ([("hasKeyword", True, "$FLAGGED")], "hfedbagc"),
    ([("someInThreadHaveKeyword", False, "$flagged")], "gfchedba"),
    ([("allInThreadHaveKeyword", False, "$seen")], "hcgfedba"),
    (
        [("someInThreadHaveKeyword", False, "$flagged"), ("subject", True, None)],
        "cgfhbaed",
    ),
]


@pytest.mark.parametrize(("sort", "expected"), SORTS)
def test_sort(
    store: Store, mail_account: str, sort: list[tuple[str, bool, str | None]], expected: str
) -> None:
    assert ids(store, mail_account, None, sort=sort) == expected


@pytest.mark.parametrize(("sort", "expected"), SORTS)
def test_sort_inside_a_mailbox_keeps_the_same_order(
    store: Store, mail_account: str, sort: list[tuple[str, bool, str | None]], expected: str
) -> None:
    inbox = [i for i in expected if i in "heba"]
    assert ids(store, mail_account, {"inMailbox": "inbox"}, sort=sort) == "".join(inbox)


def test_collapse_threads_keeps_the_first_email_of_each_thread(
    store: Store, mail_account: str
) -> None:
    result = run_query(store, mail_account, collapse=True)
    assert result.ids == list("hgecb")
    assert result.total == 5
    oldest_first = run_query(store, mail_account, sort=[("receivedAt", True, None)], collapse=True)
    assert oldest_first.ids == list("acdfh")
    inbox = run_query(store, mail_account, {"inMailbox": "inbox"}, collapse=True)
    assert inbox.ids == list("heb") and inbox.total == 3
    searched = run_query(store, mail_account, {"text": "party report"}, collapse=True)
    assert searched.ids == [] and searched.total == 0


def test_collapse_threads_windows_over_threads(store: Store, mail_account: str) -> None:
    page = run_query(store, mail_account, collapse=True, position=1, limit=2)
    assert (page.ids, page.position, page.total) == (["g", "e"], 1, 5)
    last = run_query(store, mail_account, collapse=True, position=-2, limit=10)
    assert (last.ids, last.position) == (["c", "b"], 3)
    anchored = run_query(store, mail_account, collapse=True, anchor="e", anchor_offset=-1, limit=2)
    assert (anchored.ids, anchored.position) == (["g", "e"], 1)
    # "f" is collapsed away behind "g": it is not in the results.
    assert not run_query(store, mail_account, collapse=True, anchor="f").anchor_found


@pytest.mark.parametrize(
    ("position", "limit", "expected", "start"),
    [
        (0, None, "hgfedcba", 0),
        (0, 3, "hgf", 0),
        (2, 2, "fe", 2),
        (7, 5, "a", 7),
        (8, 5, "", 8),
        (100, 5, "", 100),
        (0, 0, "", 0),
        (-2, None, "ba", 6),
        (-2, 1, "b", 6),
        (-8, 2, "hg", 0),
        (-100, 2, "hg", 0),  # clamped to the start
    ],
)
def test_position_and_limit(
    store: Store, mail_account: str, position: int, limit: int | None, expected: str, start: int
) -> None:
    result = run_query(store, mail_account, position=position, limit=limit)
    assert ("".join(result.ids), result.position, result.total) == (expected, start, 8)


@pytest.mark.parametrize(
    ("anchor", "offset", "limit", "expected", "start"),
    [
        ("e", 0, 2, "ed", 3),
        ("e", -1, 2, "fe", 2),
        ("e", 2, None, "cba", 5),
        ("e", -10, 2, "hg", 0),  # clamped to the start
        ("e", 10, 2, "", 13),  # past the end: no ids
        ("h", 0, 1, "h", 0),
        ("a", 0, 5, "a", 7),
    ],
)
def test_anchor(
    store: Store,
    mail_account: str,
    anchor: str,
    offset: int,
    limit: int | None,
    expected: str,
    start: int,
) -> None:
    result = run_query(store, mail_account, anchor=anchor, anchor_offset=offset, limit=limit)
    assert result.anchor_found
    assert ("".join(result.ids), result.position) == (expected, start)


def test_anchor_not_in_results(store: Store, mail_account: str) -> None:
    result = run_query(store, mail_account, {"inMailbox": "work"}, anchor="a")
    assert not result.anchor_found and result.ids == []
    assert not run_query(store, mail_account, anchor="nope").anchor_found


def test_total_only_when_asked(store: Store, mail_account: str) -> None:
    assert run_query(store, mail_account, total=False).total is None
    assert run_query(store, mail_account, position=-1, total=False).total is None
    assert run_query(store, mail_account, {"inMailbox": "inbox"}, limit=1).total == 4
    assert run_query(store, mail_account, {"text": "party"}, limit=1).total == 2


def test_bad_sort_is_refused(store: Store, mail_account: str) -> None:
    with pytest.raises(ValueError, match="keyword"):
        run_query(store, mail_account, sort=[("hasKeyword", True, None)])
    with pytest.raises(ValueError, match="colour"):
        run_query(store, mail_account, sort=[("colour", True, None)])
