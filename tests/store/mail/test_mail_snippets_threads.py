"""SearchSnippets (RFC 8621 section 5: HTML-escaped, <mark> around matches, preview at most 255
octets), the search-string grammar of section 4.4.1, and threading lookups by Message-ID and
shared references."""

from __future__ import annotations

from typing import Any

import pytest
from mail_index_support import entry, index_entries

from satchel.store.base import Store
from satchel.store.mail_base import Snippet
from satchel.store.mail_text import (
    MARK_CLOSE,
    MARK_OPEN,
    Term,
    match_expression,
    parse_search,
    render_marked,
)


def snippets(
    store: Store, account_id: str, email_ids: list[str], filter: Any
) -> dict[str, Snippet]:
    return store.read_sync(lambda txn: txn.search_snippets(account_id, email_ids, filter))


def test_subject_and_preview_are_marked_and_escaped(store: Store, mail_account: str) -> None:
    found = snippets(store, mail_account, ["a", "b", "g", "c", "missing"], {"text": "hello report"})
    assert set(found) == {"a", "b", "g", "c"}  # unknown ids are the caller's notFound
    assert found["a"] == Snippet("<mark>Hello</mark> World", None)
    assert found["b"].subject == "Re: <mark>Hello</mark> World"
    assert found["g"] == Snippet(
        "<mark>Report</mark>", "The <mark>report</mark> is 1 &lt; 2 &amp; done."
    )
    assert found["c"] == Snippet(None, None)


def test_which_conditions_feed_which_part(store: Store, mail_account: str) -> None:
    subject_only = snippets(store, mail_account, ["f"], {"subject": "report"})
    assert subject_only["f"] == Snippet("<mark>Report</mark>", None)
    body_only = snippets(store, mail_account, ["f"], {"body": "report"})
    assert body_only["f"] == Snippet(None, "Draft of the quarterly <mark>report</mark>.")
    nested = {
        "operator": "AND",
        "conditions": [
            {"inMailbox": "work"},
            {"operator": "OR", "conditions": [{"text": "draft"}]},
            {"operator": "NOT", "conditions": [{"text": "report"}]},
        ],
    }
    assert snippets(store, mail_account, ["f"], nested)["f"] == Snippet(
        None, "<mark>Draft</mark> of the quarterly report."
    )
    assert snippets(store, mail_account, ["f"], None)["f"] == Snippet(None, None)
    assert snippets(store, mail_account, ["f"], {"text": '"*"'})["f"] == Snippet(None, None)


def test_diacritics_and_prefixes_are_marked(store: Store, mail_account: str) -> None:
    found = snippets(store, mail_account, ["h"], {"text": "cafe bru"})
    assert found["h"] == Snippet(
        "<mark>Café</mark> menu", "Today: crème <mark>brûlée</mark> and coffee."
    )


def test_preview_is_at_most_255_octets(store: Store, account_id: str) -> None:
    body = " ".join(["blah & <blah>"] * 40 + ["needle"] + ["ünïcödé"] * 60 + ["needle"] * 30)
    index_entries(store, account_id, [entry("long", body_text=body, subject_text="<b>needle</b>")])
    found = snippets(store, account_id, ["long"], {"text": "needle"})["long"]
    assert found.subject == "&lt;b&gt;<mark>needle</mark>&lt;/b&gt;"
    assert found.preview is not None
    assert len(found.preview.encode("utf-8")) <= 255
    assert "<mark>needle</mark>" in found.preview
    assert found.preview.count("<mark>") == found.preview.count("</mark>")


def test_other_accounts_get_no_snippets(
    store: Store, mail_account: str, other_account_id: str
) -> None:
    assert snippets(store, other_account_id, ["a"], {"text": "hello"}) == {}


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("", []),
        ("  hello   world ", [Term("hello", False), Term("world", False)]),
        ('"hello world" x', [Term("hello world", True), Term("x", False)]),
        ("'a b'", [Term("a b", True)]),
        ('"say \\"hi\\" \\\\ ok"', [Term('say "hi" \\ ok', True)]),
        ("don't stop", [Term("don't", False), Term("stop", False)]),
        ('"open', [Term('"open', False)]),
        ("'mixed\"", [Term("'mixed\"", False)]),
    ],
)
def test_parse_search(text: str, terms: list[Term]) -> None:
    assert parse_search(text) == terms


def test_match_expression_quotes_everything() -> None:
    assert match_expression('ab" OR bcd', ["f_subject"]) == '{f_subject} : ("ab""" "OR" "bcd"*)'
    # Words under three letters match whole; longer ones (the last of a term) as prefixes.
    assert match_expression("x-ray ox", ["f_body"]) == '{f_body} : ("x-ray"* "ox")'
    assert match_expression('"x y"', ["f_from", "f_to"]) == '{f_from f_to} : ("x y")'
    assert match_expression("- * ()", ["f_body"]) is None


def test_render_marked() -> None:
    marked = f"a<b & {MARK_OPEN}c{MARK_CLOSE} {MARK_CLOSE}{MARK_OPEN}{MARK_OPEN}d"
    assert render_marked(marked) == "a&lt;b &amp; <mark>c</mark> <mark>d</mark>"
    assert render_marked(f"{MARK_OPEN}abcdef{MARK_CLOSE}", 16) == "<mark>abc</mark>"
    assert render_marked("a&b", 5) == "a"  # never half an entity
    assert render_marked("ééé", 5) == "éé"


def test_thread_for_message_ids(store: Store, account_id: str, other_account_id: str) -> None:
    index_entries(
        store,
        account_id,
        [
            entry("p", thread_id="TP", message_ids=("parent@x",)),
            entry("r", thread_id="TR", message_ids=("reply@x",), references=("parent@x", "gone@x")),
            entry("s", thread_id="TS", message_ids=("sibling@x",), references=("lost@x",)),
        ],
    )

    def lookup(message_ids: list[str], account: str = account_id) -> str | None:
        return store.read_sync(lambda txn: txn.thread_for_message_ids(account, message_ids))

    assert lookup(["parent@x"]) == "TP"  # a Message-ID beats a reference to it
    assert lookup(["reply@x"]) == "TR"
    assert lookup(["gone@x"]) == "TR"  # a reply to a message that never arrived
    assert lookup(["nothing@x", "lost@x"]) == "TS"
    assert lookup(["nothing@x"]) is None
    assert lookup([]) is None
    assert lookup(["parent@x"], other_account_id) is None
