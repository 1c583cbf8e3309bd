"""Fixtures for the bus tests: a real store in a temporary data directory, wired to push the way
the composition root wires it (`wire_push`), with the bus receiving on a real unix socket."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from push_support import Pushed

from satchel.config import load_settings
from satchel.core.limits import CoreLimits
from satchel.push.types import pushable_filter
from satchel.push.unix_bus import SocketBus
from satchel.push.wiring import wire_push
from satchel.services import build_registry
from satchel.store.base import Account, Store, User
from satchel.store.sqlite import SqliteStore


def _add_user(store: Store, name: str) -> tuple[User, Account]:
    user, _ = store.write_sync("", lambda txn: txn.create_user(name, "not-a-hash", None))
    return user, store.read_sync(lambda txn: txn.accounts_for_user(user.id))[0]


@pytest.fixture
async def pushed(tmp_path: Path) -> AsyncIterator[Pushed]:
    settings = load_settings(str(tmp_path / "data"), environ={})
    store, bus = wire_push(SqliteStore.open(settings.data_path), settings)
    assert isinstance(bus, SocketBus)
    bus.hub.pushable = pushable_filter(build_registry(settings, CoreLimits()))
    await bus.start()
    try:
        yield Pushed(settings, store, bus, _add_user(store, "alice"), _add_user(store, "bob"))
    finally:
        await bus.stop()
        await store.close()
