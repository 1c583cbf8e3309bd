"""Recipient resolution: own addresses at every local domain, aliases, plus-addressing,
case-insensitive local parts, and nothing for other domains or unknown names."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from satchel.config import Settings
from satchel.mail.recipients import Recipient, is_local, resolve, split_address
from satchel.store import open_store
from satchel.store.base import AddressTaken, Store, UserNotFound, WriteTxn

SETTINGS = Settings(domain="Example.org", local_domains=["mail.example.org"])


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = open_store(tmp_path / "data")
    yield store
    store.close_sync()


@pytest.fixture
def users(store: Store) -> dict[str, tuple[str, str]]:
    """name -> (user id, personal account id)"""

    def create(txn: WriteTxn) -> dict[str, tuple[str, str]]:
        made = {}
        for name in ("alice", "bob"):
            user = txn.create_user(name, "hash", None)
            made[name] = (user.id, txn.accounts_for_user(user.id)[0].id)
        return made

    made, _ = store.write_sync("", create)
    return made


def resolved(store: Store, address: str) -> Recipient | None:
    return store.read_sync(lambda txn: resolve(txn, SETTINGS, address))


def add_alias(store: Store, user_id: str, address: str) -> None:
    store.write_sync("", lambda txn: txn.add_alias(user_id, address))


def test_a_user_is_at_its_name_at_every_local_domain(
    store: Store, users: dict[str, tuple[str, str]]
) -> None:
    alice = users["alice"][1]
    assert resolved(store, "alice@example.org") == Recipient(alice, None)
    assert resolved(store, "ALICE@EXAMPLE.ORG") == Recipient(alice, None)
    assert resolved(store, "alice@mail.example.org") == Recipient(alice, None)
    assert resolved(store, "alice@example.org.") == Recipient(alice, None)


def test_unknown_names_and_other_domains_resolve_to_nothing(
    store: Store, users: dict[str, tuple[str, str]]
) -> None:
    assert resolved(store, "carol@example.org") is None
    assert resolved(store, "alice@example.net") is None
    assert resolved(store, "alice") is None
    assert resolved(store, "@example.org") is None
    assert resolved(store, "+folder@example.org") is None


def test_plus_address_carries_the_folder_as_a_hint(
    store: Store, users: dict[str, tuple[str, str]]
) -> None:
    alice = users["alice"][1]
    assert resolved(store, "alice+Archive@example.org") == Recipient(alice, "archive")
    assert resolved(store, "alice+@example.org") == Recipient(alice, None)
    assert resolved(store, "alice+a+b@example.org") == Recipient(alice, "a+b")
    assert resolved(store, "carol+x@example.org") is None


def test_aliases_deliver_to_their_user_and_take_plus_addressing(
    store: Store, users: dict[str, tuple[str, str]]
) -> None:
    alice_user, alice = users["alice"]
    add_alias(store, alice_user, "Sales@Example.org")
    assert resolved(store, "sales@example.org") == Recipient(alice, None)
    assert resolved(store, "SALES+leads@example.org") == Recipient(alice, "leads")
    assert resolved(store, "sales@mail.example.org") is None  # an alias is one exact address
    assert store.read_sync(lambda txn: txn.aliases_for_user(alice_user)) == ["sales@example.org"]


def test_an_alias_belongs_to_one_user(store: Store, users: dict[str, tuple[str, str]]) -> None:
    add_alias(store, users["alice"][0], "team@example.org")
    with pytest.raises(AddressTaken):
        add_alias(store, users["bob"][0], "TEAM@example.org")
    with pytest.raises(UserNotFound):
        add_alias(store, "no-such-user", "x@example.org")


def test_removing_an_alias_and_deleting_the_user_free_the_address(
    store: Store, users: dict[str, tuple[str, str]]
) -> None:
    alice_user, _ = users["alice"]
    bob_user, bob = users["bob"]
    add_alias(store, alice_user, "a1@example.org")
    add_alias(store, alice_user, "a2@example.org")
    removed, _ = store.write_sync("", lambda txn: txn.remove_alias("A1@example.org"))
    assert removed == alice_user
    assert resolved(store, "a1@example.org") is None
    store.write_sync("", lambda txn: txn.delete_user(alice_user))
    assert resolved(store, "a2@example.org") is None
    add_alias(store, bob_user, "a2@example.org")
    assert resolved(store, "a2@example.org") == Recipient(bob, None)


def test_address_helpers() -> None:
    assert split_address("a@B.Org") == ("a", "b.org")
    assert split_address('"odd@local"@b.org') == ('"odd@local"', "b.org")
    assert split_address("no-at-sign") is None
    assert is_local(SETTINGS, "x@MAIL.example.org")
    assert not is_local(SETTINGS, "x@example.com")
