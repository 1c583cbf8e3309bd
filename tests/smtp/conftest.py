"""LMTP-test fixtures: a real SQLite store under tmp_path with users alice and bob, and a real
LMTP listener on a free TCP port or a unix socket."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from lmtp_support import StartLmtp, add_user

from satchel.config import Settings
from satchel.mail.provision import provision_account
from satchel.smtp.lmtp_server import LmtpAddress, LmtpListener, TcpAddress, start_lmtp
from satchel.store import open_store
from satchel.store.base import Store


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=str(tmp_path / "data"), domain="example.org", local_domains=["mail.example.org"]
    )


@pytest.fixture
async def store(settings: Settings) -> AsyncIterator[Store]:
    store = open_store(settings.data_path)
    yield store
    await store.close()


@pytest.fixture
async def accounts(store: Store) -> dict[str, str]:
    ids = {name: add_user(store, name) for name in ("alice", "bob")}
    for account_id in ids.values():
        await provision_account(store, account_id)
    return ids


@pytest.fixture
async def start(store: Store, settings: Settings) -> AsyncIterator[StartLmtp]:
    running: list[LmtpListener] = []

    async def start(address: LmtpAddress | None = None, **kwargs: Any) -> LmtpListener:
        listener = await start_lmtp(
            store, settings, address or TcpAddress("127.0.0.1", 0), reuse_port=False, **kwargs
        )
        assert listener is not None
        running.append(listener)
        return listener

    yield start
    for listener in running:
        await listener.close()
