"""Fixtures for the engine tests: a real SQLite store in a temporary directory, a user with a
personal account in it, and a way to build the RequestContext the transports would build."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from satchel.core.context import RequestContext
from satchel.core.limits import CoreLimits
from satchel.core.registry import Registry
from satchel.store import open_store
from satchel.store.base import Account, Store, User

MakeContext = Callable[..., RequestContext]


@pytest.fixture
def engine_store(tmp_path: Path) -> Iterator[Store]:
    store = open_store(tmp_path / "data")
    yield store
    store.close_sync()


def add_user(store: Store, username: str) -> tuple[User, Account]:
    """Create a user through the store and return it with its personal account."""
    user, _ = store.write_sync("", lambda txn: txn.create_user(username, "not-a-hash", None))
    accounts = store.read_sync(lambda txn: txn.accounts_for_user(user.id))
    return user, accounts[0]


@pytest.fixture
def alice(engine_store: Store) -> tuple[User, Account]:
    return add_user(engine_store, "alice@example.com")


@pytest.fixture
def make_ctx(engine_store: Store, alice: tuple[User, Account]) -> MakeContext:
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
            store=engine_store,
            registry=registry,
            limits=limits or CoreLimits(),
        )

    return make
