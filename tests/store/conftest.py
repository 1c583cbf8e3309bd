"""Store-test fixtures: users with their personal accounts, created through the store itself."""

from __future__ import annotations

import pytest

from satchel.store.base import Store, WriteTxn


def make_account(store: Store, username: str) -> str:
    """Create a user and return the id of its personal account."""

    def create(txn: WriteTxn) -> str:
        user = txn.create_user(username, "hash-" + username, None)
        return txn.accounts_for_user(user.id)[0].id

    account_id, _ = store.write_sync("", create)
    return account_id


@pytest.fixture
def account_id(store: Store) -> str:
    return make_account(store, "alice")


@pytest.fixture
def other_account_id(store: Store) -> str:
    return make_account(store, "bob")
