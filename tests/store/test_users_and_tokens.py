"""Users, their personal accounts and API tokens: creation, lookups, uniqueness and the cascade
when a user is deleted."""

from __future__ import annotations

import pytest

from satchel.store.base import (
    Account,
    AccountNotFound,
    Store,
    StoreError,
    User,
    UserExists,
    UserNotFound,
    WriteTxn,
)


def create_user(store: Store, name: str, email: str | None = None) -> User:
    user, commit = store.write_sync("", lambda txn: txn.create_user(name, "h:" + name, email))
    assert commit.changed_types == set()
    return user


def accounts(store: Store, user_id: str) -> list[Account]:
    return store.read_sync(lambda txn: txn.accounts_for_user(user_id))


def test_create_user_makes_a_personal_account(store: Store) -> None:
    user = create_user(store, "alice", "alice@example.com")
    assert (user.username, user.password_hash, user.email) == (
        "alice",
        "h:alice",
        "alice@example.com",
    )
    [account] = accounts(store, user.id)
    assert account == Account(account.id, "alice", user.id, is_personal=True, is_read_only=False)
    assert store.read_sync(lambda txn: txn.account_modseq(account.id)) == 0
    assert store.read_sync(lambda txn: txn.user_by_id(user.id)) == user
    assert store.read_sync(lambda txn: txn.user_by_name("alice")) == user


@pytest.mark.parametrize("duplicate", ["alice", "ALICE", "Alice"])
def test_usernames_are_unique_ignoring_case(store: Store, duplicate: str) -> None:
    create_user(store, "alice")
    with pytest.raises(UserExists):
        create_user(store, duplicate)
    assert [u.username for u in store.read_sync(lambda txn: txn.list_users())] == ["alice"]


def test_lookups(store: Store) -> None:
    bob, alice = create_user(store, "bob"), create_user(store, "alice")
    assert store.read_sync(lambda txn: txn.list_users()) == [alice, bob]
    assert store.read_sync(lambda txn: txn.user_by_name("carol")) is None
    assert store.read_sync(lambda txn: txn.user_by_id("nope")) is None
    assert accounts(store, "nope") == []
    assert accounts(store, alice.id)[0].id != accounts(store, bob.id)[0].id


def test_set_password(store: Store) -> None:
    user = create_user(store, "alice")
    store.write_sync("", lambda txn: txn.set_password(user.id, "new-hash"))
    got = store.read_sync(lambda txn: txn.user_by_id(user.id))
    assert got is not None and got.password_hash == "new-hash"
    with pytest.raises(UserNotFound):
        store.write_sync("", lambda txn: txn.set_password("nope", "x"))


def test_tokens(store: Store) -> None:
    alice, bob = create_user(store, "alice"), create_user(store, "bob")
    store.write_sync("", lambda txn: txn.create_token(alice.id, "hash-1", "laptop"))
    store.write_sync("", lambda txn: txn.create_token(alice.id, "hash-2", "phone"))
    assert store.read_sync(lambda txn: txn.user_by_token("hash-1")) == alice
    assert store.read_sync(lambda txn: txn.user_by_token("unknown")) is None
    tokens = store.read_sync(lambda txn: txn.tokens_for_user(alice.id))
    assert sorted(t.name for t in tokens) == ["laptop", "phone"]
    assert store.read_sync(lambda txn: txn.tokens_for_user(bob.id)) == []
    with pytest.raises(StoreError):
        store.write_sync("", lambda txn: txn.create_token(bob.id, "hash-1", "clash"))
    with pytest.raises(UserNotFound):
        store.write_sync("", lambda txn: txn.create_token("nope", "hash-3", "x"))
    deleted, _ = store.write_sync("", lambda txn: txn.delete_token("hash-1"))
    assert deleted is True
    again, _ = store.write_sync("", lambda txn: txn.delete_token("hash-1"))
    assert again is False
    assert store.read_sync(lambda txn: txn.user_by_token("hash-1")) is None


def test_delete_user_cascades(store: Store) -> None:
    alice, bob = create_user(store, "alice"), create_user(store, "bob")
    [mine] = accounts(store, alice.id)
    [theirs] = accounts(store, bob.id)
    blob_id = store.blobs.put(b"attachment")

    def fill(txn: WriteTxn) -> None:
        txn.create_record("Foo", "a", {"v": 1})
        txn.create_record("Foo", "b", {"v": 1})
        txn.destroy_record("Foo", "b")
        txn.add_blob(blob_id, 10, "text/plain", None)
        txn.ref_blob(blob_id, 1)

    for account in (mine, theirs):
        store.write_sync(account.id, fill)
    for user, token in ((alice, "t-alice"), (bob, "t-bob")):
        store.write_sync("", lambda txn, u=user, t=token: txn.create_token(u.id, t, "cli"))

    store.write_sync("", lambda txn: txn.delete_user(alice.id))

    assert store.read_sync(lambda txn: txn.user_by_id(alice.id)) is None
    assert store.read_sync(lambda txn: txn.user_by_name("alice")) is None
    assert store.read_sync(lambda txn: txn.user_by_token("t-alice")) is None
    assert accounts(store, alice.id) == []
    assert store.read_sync(lambda txn: txn.get_records(mine.id, "Foo", None)) == []
    assert store.read_sync(lambda txn: txn.blob_info(mine.id, blob_id)) is None
    assert store.read_sync(lambda txn: txn.type_state(mine.id, "Foo")).high == 0
    with pytest.raises(AccountNotFound):
        store.write_sync(mine.id, lambda txn: txn.create_record("Foo", "c", {}))
    # Bob is untouched, and the shared blob is still his.
    assert store.read_sync(lambda txn: txn.user_by_token("t-bob")) == bob
    assert [r.id for r in store.read_sync(lambda txn: txn.get_records(theirs.id, "Foo", None))] == [
        "a"
    ]
    assert store.read_sync(lambda txn: txn.unreferenced_blobs([blob_id])) == []
    # The name is free again.
    create_user(store, "alice")


def test_delete_unknown_user(store: Store) -> None:
    with pytest.raises(UserNotFound):
        store.write_sync("", lambda txn: txn.delete_user("nope"))
