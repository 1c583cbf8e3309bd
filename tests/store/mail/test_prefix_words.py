"""A word-prefix search may run as an OR of the whole words that share the prefix (FTS5 reads
those lazily, newest first): it must find exactly the Emails the prefix finds, newest first,
whether the store could list those words or had to give up and search the prefix itself."""

from __future__ import annotations

import pytest
from mail_index_support import create_mailboxes, entry, ids, index_entries

from satchel.store import sqlite_mail
from satchel.store.base import Store
from satchel.store.mail_text import match_expression

# Received in this order (the newest last); "invoicing" does not begin with "invoice".
BODIES = {
    "a": "your invoice is attached",
    "b": "two invoices for March",
    "c": "the invoiced amount",
    "d": "invoicing starts Monday",
    "e": "nothing to see",
    "f": "Invoice number 7",
    "g": "the invoicé with an accent",
}


@pytest.fixture
def invoices(store: Store, account_id: str) -> str:
    store.write_sync(account_id, create_mailboxes)
    index_entries(
        store,
        account_id,
        [
            entry(email_id, received_at=1000 + n, body_text=body)
            for n, (email_id, body) in enumerate(BODIES.items())
        ],
    )
    return account_id


def test_the_words_of_a_prefix_find_what_the_prefix_finds(store: Store, invoices: str) -> None:
    # unicode61 with remove_diacritics folds "invoicé" to "invoice": it is the word itself.
    assert ids(store, invoices, {"text": "invoice"}) == "gfcba"
    assert ids(store, invoices, {"text": "Invoice"}, limit=2) == "gf"
    assert ids(store, invoices, {"body": "invoic"}) == "gfdcba"
    assert ids(store, invoices, {"text": "invoices"}) == "b"
    assert ids(store, invoices, {"text": "invoice march"}) == "b"
    assert ids(store, invoices, {"text": '"invoice"'}) == "gfa"  # a phrase: the word only


def test_a_prefix_with_too_many_words_is_searched_as_a_prefix(
    store: Store, invoices: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_mail, "PREFIX_WORDS_MAX", 1)
    assert ids(store, invoices, {"body": "invoic"}) == "gfdcba"
    monkeypatch.setattr(sqlite_mail, "PREFIX_WORDS_BUDGET", -1.0)
    assert ids(store, invoices, {"text": "invoice"}) == "gfcba"


def test_only_plain_ascii_words_are_expanded() -> None:
    def listed(word: str) -> list[str]:
        return [word + "s"]

    text = match_expression("invoice", ["f_body"], listed)
    assert text == '{f_body} : (("invoice" OR "invoices"))'
    assert match_expression("invoice", ["f_body"], lambda word: []) == '{f_body} : ("invoice")'
    assert match_expression("invoice", ["f_body"], lambda word: None) == '{f_body} : ("invoice"*)'
    for kept in ("café", "x-ray", "ox", '"invoice"'):
        assert match_expression(kept, ["f_body"], listed) == match_expression(kept, ["f_body"])
