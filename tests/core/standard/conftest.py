"""Fixtures for the standard-method tests: the Note type registered in a fresh Registry, a real
store (the suite's `store` fixture), users alice and bob, and a `jmap` client that sends requests
through `satchel.core.engine.process` exactly as the transports do."""

from __future__ import annotations

import dataclasses

import pytest
from jmap_client import Jmap

from satchel.core.limits import CoreLimits
from satchel.store.base import Account, Store, User


def _add_user(store: Store, name: str) -> tuple[User, Account]:
    user, _ = store.write_sync("", lambda txn: txn.create_user(name, "not-a-hash", None))
    return user, store.read_sync(lambda txn: txn.accounts_for_user(user.id))[0]


@pytest.fixture
def limits() -> CoreLimits:
    return CoreLimits(max_objects_in_get=20, max_objects_in_set=20)


@pytest.fixture
def jmap(store: Store, limits: CoreLimits) -> Jmap:
    alice, alice_account = _add_user(store, "alice")
    _, bob_account = _add_user(store, "bob")
    _, carol_account = _add_user(store, "carol")
    read_only = dataclasses.replace(carol_account, is_read_only=True)
    return Jmap(store, alice, [alice_account, bob_account, read_only], limits)
