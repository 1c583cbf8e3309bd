"""Fixtures for the engine tests: a user with a personal account in the suite's real `store`
(every backend, see tests/conftest.py) and a way to build the RequestContext the transports
would build."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from satchel.core.context import RequestContext
from satchel.core.limits import CoreLimits
from satchel.core.registry import Registry
from satchel.store.base import Account, Store, User

MakeContext = Callable[..., RequestContext]


def add_user(store: Store, username: str) -> tuple[User, Account]:
    """Create a user through the store and return it with its personal account."""
    user, _ = store.write_sync("", lambda txn: txn.create_user(username, "not-a-hash", None))
    accounts = store.read_sync(lambda txn: txn.accounts_for_user(user.id))
    return user, accounts[0]


@pytest.fixture
def alice(store: Store) -> tuple[User, Account]:
    return add_user(store, "alice@example.com")


@pytest.fixture
def make_ctx(store: Store, alice: tuple[User, Account]) -> MakeContext:
    """RequestContext for alice, seeing her own account plus any `extra_accounts`."""

    def make(
        registry: Registry,
        extra_accounts: list[Account] | None = None,
        limits: CoreLimits | None = None,
    ) -> RequestContext:
        user, account = alice
        accounts = [account, *(extra_accounts or [])]
        return RequestContext(
            user=user,
            accounts={a.id: a for a in accounts},
            store=store,
            registry=registry,
            limits=limits or CoreLimits(),
        )

    return make
