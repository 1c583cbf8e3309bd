"""`may_send_from`: own addresses, the creation email, aliases and admin grants (exact and
`*@domain`), case-insensitively; nothing else, and grants go with their user."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from satchel.config import Settings
from satchel.mail.senders import may_send_from, normalise_pattern
from satchel.store import open_store
from satchel.store.base import Store, UserNotFound, WriteTxn

SETTINGS = Settings(domain="Example.org", local_domains=["mail.example.org"])


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = open_store(tmp_path / "data")
    yield store
    store.close_sync()


@pytest.fixture
def users(store: Store) -> dict[str, str]:
    def create(txn: WriteTxn) -> dict[str, str]:
        alice = txn.create_user("alice", "hash", "Alice.Smith@Corp.example")
        bob = txn.create_user("bob", "hash", None)
        return {"alice": alice.id, "bob": bob.id}

    made, _ = store.write_sync("", create)
    return made


def may(store: Store, user_id: str, address: str) -> bool:
    return store.read_sync(lambda txn: may_send_from(txn, SETTINGS, user_id, address))


def test_own_addresses_and_creation_email(store: Store, users: dict[str, str]) -> None:
    alice = users["alice"]
    assert may(store, alice, "alice@example.org")
    assert may(store, alice, "ALICE@EXAMPLE.ORG")
    assert may(store, alice, "alice@mail.example.org")
    assert may(store, alice, "alice.smith@corp.example")
    assert not may(store, alice, "bob@example.org")
    assert not may(store, alice, "alice@other.example")
    assert not may(store, alice, "not an address")
    assert not may(store, users["bob"], "alice.smith@corp.example")


def test_aliases(store: Store, users: dict[str, str]) -> None:
    alice = users["alice"]
    store.write_sync("", lambda txn: txn.add_alias(alice, "sales@example.org"))
    assert may(store, alice, "Sales@Example.ORG")
    assert not may(store, users["bob"], "sales@example.org")


def test_exact_and_wildcard_grants(store: Store, users: dict[str, str]) -> None:
    bob = users["bob"]
    assert not may(store, bob, "news@partner.example")

    def grant(txn: WriteTxn) -> tuple[bool, bool, bool]:
        return (
            txn.add_sender_grant(bob, "News@Partner.example"),
            txn.add_sender_grant(bob, "news@partner.example"),
            txn.add_sender_grant(bob, "*@Brand.EXAMPLE"),
        )

    added, _ = store.write_sync("", grant)
    assert added == (True, False, True)
    assert store.read_sync(lambda txn: txn.sender_grants(bob)) == [
        "*@brand.example",
        "news@partner.example",
    ]
    assert may(store, bob, "NEWS@partner.example")
    assert not may(store, bob, "other@partner.example")
    assert may(store, bob, "anyone@brand.example")
    assert may(store, bob, "x@BRAND.example")
    assert not may(store, bob, "x@sub.brand.example")
    assert not may(store, users["alice"], "x@brand.example")

    removed, _ = store.write_sync("", lambda txn: txn.remove_sender_grant(bob, "*@brand.example"))
    assert removed
    assert not may(store, bob, "x@brand.example")
    again, _ = store.write_sync("", lambda txn: txn.remove_sender_grant(bob, "*@brand.example"))
    assert not again


def test_grants_need_a_user_and_go_with_it(store: Store, users: dict[str, str]) -> None:
    with pytest.raises(UserNotFound):
        store.write_sync("", lambda txn: txn.add_sender_grant("nobody", "a@b.example"))
    bob = users["bob"]
    store.write_sync("", lambda txn: txn.add_sender_grant(bob, "*@brand.example"))
    store.write_sync("", lambda txn: txn.delete_user(bob))
    assert store.read_sync(lambda txn: txn.sender_grants(bob)) == []


@pytest.mark.parametrize(
    ("pattern", "stored"),
    [
        ("a@B.example", "a@b.example"),
        ("*@B.example", "*@b.example"),
        ("*.x@b.example", None),
        ("a*@b.example", None),
        ("b.example", None),
        ("@b.example", None),
        ("a b@c.example", None),
        ("a@b@c.example", None),
    ],
)
def test_pattern_syntax(pattern: str, stored: str | None) -> None:
    assert normalise_pattern(pattern) == stored


def test_account_owner(store: Store, users: dict[str, str]) -> None:
    alice = users["alice"]
    account = store.read_sync(lambda txn: txn.accounts_for_user(alice))[0]
    assert store.read_sync(lambda txn: txn.account_owner(account.id)) == alice
    assert store.read_sync(lambda txn: txn.account_owner("nope")) is None


def test_subaddresses_of_local_addresses(store: Store, users: dict[str, str]) -> None:
    alice = users["alice"]
    store.write_sync("", lambda txn: txn.add_alias(alice, "sales@example.org"))
    assert may(store, alice, "alice+lists@example.org")
    assert may(store, alice, "Sales+Leads@mail.example.org") is False  # alias is per domain
    assert may(store, alice, "sales+leads@example.org")
    assert not may(store, alice, "alice.smith+x@corp.example")  # not a local domain
    assert not may(store, users["bob"], "alice+x@example.org")


def test_a_wildcard_identity_email_needs_a_wildcard_grant(
    store: Store, users: dict[str, str]
) -> None:
    bob = users["bob"]
    assert not may(store, bob, "*@brand.example")
    store.write_sync("", lambda txn: txn.add_sender_grant(bob, "*@brand.example"))
    assert may(store, bob, "*@Brand.example")
    assert not may(store, bob, "*@example.org")
