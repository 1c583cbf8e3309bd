"""Email/query filters in SQL (RFC 8621 section 4.4.1): every condition, the operators of RFC 8620
section 5.5 nested, and full-text input that must never break out of its MATCH string."""

from __future__ import annotations

from typing import Any

import pytest
from mail_index_support import ids

from satchel.store.base import Store
from satchel.store.mail_base import UnsupportedFilter


def utc(seconds: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# Default order: receivedAt descending (h newest ... a oldest).
CONDITIONS: list[tuple[Any, str]] = [
    (None, "hgfedcba"),
    ({}, "hgfedcba"),
    ({"inMailbox": "inbox"}, "heba"),
    ({"inMailbox": "nowhere"}, ""),
    ({"inMailboxOtherThan": ["trash"]}, "hgfecba"),
    ({"inMailboxOtherThan": ["inbox", "archive"]}, "gfd"),
    ({"inMailboxOtherThan": []}, "hgfedcba"),
    ({"before": utc(4000)}, "cba"),
    ({"after": utc(4000)}, "hgfed"),
    ({"after": utc(2000), "before": utc(5000)}, "dcb"),
    ({"minSize": 1500}, "fdb"),
    ({"maxSize": 500}, "ec"),
    ({"hasKeyword": "$flagged"}, "gc"),
    ({"hasKeyword": "$FLAGGED"}, "gc"),  # keywords are case-insensitive
    ({"notKeyword": "$seen"}, "gfda"),
    ({"allInThreadHaveKeyword": "$seen"}, "hc"),
    ({"someInThreadHaveKeyword": "$flagged"}, "gfc"),
    ({"noneInThreadHaveKeyword": "$seen"}, "gf"),
    ({"hasAttachment": True}, "hfc"),
    ({"hasAttachment": False}, "gedba"),
    ({"text": "hello"}, "ba"),
    ({"text": "HELLO world"}, "ba"),
    ({"text": "hello nothere"}, ""),
    ({"text": "quarterly"}, "fa"),  # body
    ({"text": "invoice.pdf"}, "c"),  # attachment name (and subject)
    ({"text": "ccuser"}, "c"),
    ({"text": "bccuser"}, "d"),
    ({"text": "inv"}, "c"),  # a bare token matches as a word prefix
    ({"text": "cafe creme"}, "h"),  # diacritics ignored
    ({"text": '"hello world"'}, "ba"),  # phrase
    ({"text": '"world hello"'}, ""),  # phrase order matters
    ({"text": "'the party'"}, "e"),  # single quotes make a phrase too
    ({"from": "carol"}, "c"),
    ({"from": "example.com"}, "hgfedcba"),
    ({"from": "xavier"}, ""),
    ({"to": "xavier"}, "c"),
    ({"cc": "ccuser"}, "c"),
    ({"cc": "carol"}, ""),
    ({"bcc": "bccuser"}, "d"),
    ({"subject": "party"}, "ed"),
    ({"subject": "quarterly"}, ""),
    ({"body": "quarterly"}, "fa"),
    ({"body": "report"}, "gf"),
    ({"header": ["X-Spam-Flag"]}, "ed"),
    ({"header": ["x-spam-flag"]}, "ed"),
    ({"header": ["X-Spam"]}, ""),  # the whole name, not a prefix
    ({"header": ["X-Spam-Flag", "yes"]}, "d"),
    ({"header": ["Subject", "invoice"]}, "c"),
    ({"header": ["X-Spam-Flag", "..."]}, "ed"),  # nothing searchable in the value
    ({"header": ["Subject", "party"]}, "ed"),
    ({"header": ["X-Spam-Flag", "party"]}, ""),  # in the Subject line beside it, not in the field
    ({"inMailbox": "inbox", "hasKeyword": "$seen"}, "heb"),
]


@pytest.mark.parametrize(("condition", "expected"), CONDITIONS)
def test_condition(store: Store, mail_account: str, condition: Any, expected: str) -> None:
    assert ids(store, mail_account, condition) == expected


OPERATORS: list[tuple[Any, str]] = [
    ({"operator": "AND", "conditions": []}, "hgfedcba"),
    ({"operator": "OR", "conditions": []}, ""),
    ({"operator": "NOT", "conditions": []}, "hgfedcba"),
    (
        {"operator": "OR", "conditions": [{"inMailbox": "work"}, {"hasKeyword": "$flagged"}]},
        "gfc",
    ),
    ({"operator": "NOT", "conditions": [{"inMailbox": "inbox"}]}, "gfdc"),
    # NOT of several: none of them may match.
    (
        {"operator": "NOT", "conditions": [{"inMailbox": "inbox"}, {"inMailbox": "work"}]},
        "dc",
    ),
    (
        {
            "operator": "AND",
            "conditions": [
                {"inMailbox": "inbox"},
                {"operator": "NOT", "conditions": [{"hasKeyword": "$seen"}]},
            ],
        },
        "a",
    ),
    (
        {
            "operator": "OR",
            "conditions": [
                {
                    "operator": "AND",
                    "conditions": [{"inMailbox": "archive"}, {"hasAttachment": True}],
                },
                {
                    "operator": "AND",
                    "conditions": [
                        {"text": "party"},
                        {"operator": "NOT", "conditions": [{"inMailbox": "trash"}]},
                    ],
                },
            ],
        },
        "ec",
    ),
    # inMailbox inside an AND drives the query; the rest still applies.
    (
        {
            "operator": "AND",
            "conditions": [{"text": "hello"}, {"inMailbox": "archive", "minSize": 1000}],
        },
        "b",
    ),
    (
        {"operator": "AND", "conditions": [{"inMailbox": "inbox"}, {"inMailbox": "archive"}]},
        "b",
    ),
]


@pytest.mark.parametrize(("node", "expected"), OPERATORS)
def test_operators(store: Store, mail_account: str, node: Any, expected: str) -> None:
    assert ids(store, mail_account, node) == expected


def test_core_filter_objects_are_accepted(store: Store, mail_account: str) -> None:
    from satchel.core.datatype import FilterCondition, FilterOperator

    node = FilterOperator("NOT", (FilterCondition({"inMailbox": "inbox"}),))
    assert ids(store, mail_account, node) == "gfdc"


HOSTILE = [
    '"',
    '""',
    "'",
    "*",
    "hello*",
    "-hello",
    "NEAR(hello world)",
    "NEAR",
    "hello OR nothing",
    "hello AND",
    "NOT hello",
    "(hello",
    "hello)",
    "^hello",
    "f_body: quarterly",
    "{f_body}: quarterly",
    'say "hello',
    "\\",
    '"\\"',
    "\x00hello",
    "日本語",
    "😀",
    "hello\u200bworld",
    "a" * 5000,
    "'\\'hello\\''",
]


@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize("name", ["text", "from", "subject", "body"])
def test_hostile_search_text_never_breaks_the_query(
    store: Store, mail_account: str, name: str, text: str
) -> None:
    found = ids(store, mail_account, {name: text})
    assert set(found) <= set("abcdefgh")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-hello", "ba"),  # not a NOT: the dash is punctuation
        ("hello OR nothing", ""),  # OR is a word that must be present, not an operator
        ("(hello", "ba"),
        ("NEAR(hello world)", ""),  # "near" must be present
        ("*", ""),  # nothing searchable matches nothing
        ('say "hello', ""),  # unmatched quote: plain tokens "say" and "hello"
        ("'\\'hello\\''", "ba"),  # escaped quotes inside a phrase: the phrase 'hello'
        ("\x00hello", "ba"),  # NUL would end FTS5's C-string query
    ],
)
def test_operator_words_are_searched_as_words(
    store: Store, mail_account: str, text: str, expected: str
) -> None:
    assert ids(store, mail_account, {"text": text}) == expected


def test_unknown_condition_is_unsupported(store: Store, mail_account: str) -> None:
    with pytest.raises(UnsupportedFilter):
        ids(store, mail_account, {"colour": "red"})
    with pytest.raises(UnsupportedFilter):
        ids(store, mail_account, {"operator": "XOR", "conditions": []})
    with pytest.raises(UnsupportedFilter):
        ids(store, mail_account, {"header": []})


def test_other_accounts_mail_is_invisible(
    store: Store, mail_account: str, other_account_id: str
) -> None:
    assert ids(store, other_account_id) == ""
    assert ids(store, other_account_id, {"text": "hello"}) == ""
    assert ids(store, other_account_id, {"inMailbox": "inbox"}) == ""


def test_short_words_match_whole_words(store: Store, account_id: str) -> None:
    from mail_index_support import entry, index_entries

    index_entries(
        store,
        account_id,
        [entry("ab", subject_text="ab testing"), entry("abc", subject_text="abcdef")],
    )
    assert ids(store, account_id, {"subject": "ab"}) == "ab"
    assert ids(store, account_id, {"subject": "abc"}) == "abc"
    assert ids(store, account_id, {"subject": "test"}) == "ab"
