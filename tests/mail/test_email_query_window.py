"""Email/query windows in SQL (the `query_window` hook over `query_emails`): every response must
be the one the generic path gives from the full sorted id list (RFC 8620 section 5.5: position,
negative position, anchor + anchorOffset, limit, calculateTotal; RFC 8621 section 4.4.3:
collapseThreads), over a mailbox of 30 ingested messages in threads."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from mail_client import MailClient, message

from satchel.core.datatype import (
    Comparator,
    DataType,
    FilterNode,
    QueryPage,
    QueryScope,
    QueryWindow,
)
from satchel.core.standard import query as query_method
from satchel.core.standard.querying import run_query, window_of
from satchel.mail.email import EMAIL

COUNT = 30


async def _mailbox(mail: MailClient) -> None:
    """30 messages: threads of 4 (replies by In-Reply-To; the last thread has 2), a few
    receivedAt ties, every third one $seen, every fifth also in a second mailbox."""
    archive = await mail.create_mailbox("Projects")
    inbox = await mail.mailbox_id("inbox")
    parent: str | None = None
    for n in range(COUNT):
        reply = n % 4 != 0 and parent is not None
        mailboxes = [inbox, archive] if n % 5 == 0 else [inbox]
        await mail.deliver(
            message(
                f"{'Re: ' if reply else ''}Topic {n // 4}",
                sender=f"Sender{n % 7} <s{n % 7}@example.com>",
                message_id=f"<{n}@x>",
                in_reply_to=parent if reply else None,
                body="kiwi\r\n" if n % 2 else "plum\r\n",
            ),
            received_at=1000 + (n // 3 if n % 6 == 0 else n) * 60,
            keywords=["$seen"] if n % 3 == 0 else [],
            mailbox_ids=mailboxes,
        )
        parent = f"<{n}@x>"


def _full_list_path(
    datatype: DataType,
    scope: QueryScope,
    node: FilterNode | None,
    sort: list[Comparator],
    window: QueryWindow,
) -> QueryPage:
    # The engine's path for a type without `query_window`: every id, windowed in Python.
    return window_of(run_query(datatype, scope, node, sort), window)


async def _both(
    mail: MailClient, monkeypatch: pytest.MonkeyPatch, **args: Any
) -> tuple[tuple[str, dict[str, Any]], tuple[str, dict[str, Any]]]:
    windowed = await mail.call("Email/query", **args)
    with monkeypatch.context() as patch:
        patch.setattr(query_method, "run_query_window", _full_list_path)
        full = await mail.call("Email/query", **args)
    return windowed, full


def _reference(every: list[str], args: dict[str, Any]) -> dict[str, Any]:
    """Section 5.5 written out once more, independently of the engine."""
    if "anchor" in args:
        start = max(every.index(args["anchor"]) + args.get("anchorOffset", 0), 0)
    else:
        position = args.get("position", 0)
        start = max(len(every) + position, 0) if position < 0 else position
    limit = args.get("limit")
    capped = limit is None or limit > 5000
    end = start + (5000 if capped else limit)
    expected: dict[str, Any] = {"ids": every[start:end], "position": start}
    if args.get("calculateTotal"):
        expected["total"] = len(every)
    if capped:
        expected["limit"] = 5000
    return expected


FILTERS: list[dict[str, Any] | None] = [None, {"text": "kiwi"}, {"notKeyword": "$seen"}]
SORTS: list[list[dict[str, Any]] | None] = [
    None,
    [{"property": "receivedAt", "isAscending": True}],
    [{"property": "from"}, {"property": "subject", "isAscending": False}],
]
POSITIONS = [0, 1, 7, 29, 30, 31, 100, -1, -7, -29, -30, -31, -100]
LIMITS: list[int | None] = [None, 0, 1, 7, 30, 6000]
OFFSETS = [0, 1, -1, 5, -5, 40, -40]


@pytest.mark.parametrize("collapse", [False, True])
async def test_windowed_and_full_list_paths_answer_the_same(
    mail: MailClient, monkeypatch: pytest.MonkeyPatch, collapse: bool
) -> None:
    assert EMAIL.hooks.query_window is not None  # else both calls would take the full list
    await _mailbox(mail)
    cases = 0
    for filter_, sort in itertools.product(FILTERS, SORTS):
        base: dict[str, Any] = {"collapseThreads": collapse}
        if filter_ is not None:
            base["filter"] = filter_
        if sort is not None:
            base["sort"] = sort
        every = (await mail.ok("Email/query", **base))["ids"]
        assert every and len(every) == len(set(every))
        if filter_ is None:
            assert len(every) == (8 if collapse else COUNT)  # threads of 4 (and 2 at the end)
        windows: list[dict[str, Any]] = []
        for position, limit in itertools.product(POSITIONS, LIMITS):
            windows.append({"position": position, "limit": limit, "calculateTotal": limit == 7})
        anchors = [every[0], every[len(every) // 2], every[-1]]
        for anchor, offset, limit in itertools.product(anchors, OFFSETS, [None, 3]):
            windows.append(
                {"anchor": anchor, "anchorOffset": offset, "limit": limit, "position": 5}
            )
        windows.append({"position": 2, "limit": 4, "calculateTotal": True})
        windows.append({"position": -3, "calculateTotal": True})
        for window in windows:
            args = {**base, **{k: v for k, v in window.items() if v is not None}}
            windowed, full = await _both(mail, monkeypatch, **args)
            assert windowed == full, args
            name, response = windowed
            assert name == "Email/query", (args, response)
            got = {k: v for k, v in response.items() if k in ("ids", "position", "total", "limit")}
            assert got == _reference(every, args), args
            cases += 1
    assert cases > 1000


async def test_anchor_not_found_on_both_paths(
    mail: MailClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _mailbox(mail)
    every = (await mail.ok("Email/query"))["ids"]
    collapsed = (await mail.ok("Email/query", collapseThreads=True))["ids"]
    hidden = next(i for i in every if i not in collapsed)  # a reply collapsed into its thread
    seen = (await mail.ok("Email/query", filter={"hasKeyword": "$seen"}))["ids"]
    for args in (
        {"anchor": "nope"},
        {"anchor": "nope", "position": 3, "limit": 2, "calculateTotal": True},
        {"anchor": hidden, "collapseThreads": True},
        {"anchor": seen[0], "filter": {"notKeyword": "$seen"}},
    ):
        windowed, full = await _both(mail, monkeypatch, **args)
        assert windowed == full, args
        assert windowed[0] == "error" and windowed[1]["type"] == "anchorNotFound", args
    # Without collapseThreads the same anchor is in the results.
    assert (await mail.ok("Email/query", anchor=hidden))["ids"]
