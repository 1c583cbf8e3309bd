"""Fixtures for the mail tests: users alice and bob on the suite's real store, and `mail`, a
client for alice (her account first, then a read-only view of bob's) through the engine."""

from __future__ import annotations

import dataclasses

import pytest
from mail_client import MailClient

from satchel.core.limits import CoreLimits
from satchel.store.base import Account, Store, User


def _add_user(store: Store, name: str) -> tuple[User, Account]:
    user, _ = store.write_sync("", lambda txn: txn.create_user(name, "not-a-hash", None))
    return user, store.read_sync(lambda txn: txn.accounts_for_user(user.id))[0]


@pytest.fixture
def mail(store: Store) -> MailClient:
    alice, alice_account = _add_user(store, "alice")
    _, bob_account = _add_user(store, "bob")
    read_only = dataclasses.replace(bob_account, is_read_only=True)
    limits = CoreLimits(max_objects_in_get=50, max_objects_in_set=50)
    return MailClient(store, alice, [alice_account, read_only], limits)
