"""One process delivers (issue 5): every worker hears every StateChange, but only the holder of
the flock on DATA/push-dispatch.lock POSTs it; when that process goes, another takes over."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Callable
from pathlib import Path

from pushsub_support import LocalBus, PushService

from satchel.push.bus import StateChange
from satchel.push.subscriptions.leader import LOCK_FILE, dispatching, try_lock
from satchel.store.base import Store
from satchel.store.push_base import PushSubscriptionRow


def _verified_subscription(store: Store, url: str) -> str:
    user, _ = store.write_sync("", lambda txn: txn.create_user("alice", "not-a-hash", None))
    account = store.read_sync(lambda txn: txn.accounts_for_user(user.id))[0]
    row = PushSubscriptionRow(
        "P1",
        user.id,
        "password",
        "device",
        url,
        None,
        None,
        "code",
        True,
        time.time() + 600,
        None,
        time.time(),
    )
    store.write_sync("", lambda txn: txn.create_push_subscription(row))
    return account.id


def _lock_is_held(path: Path) -> bool:
    fd = os.open(path, os.O_RDWR | os.O_CREAT)
    try:
        return not try_lock(fd)
    finally:
        os.close(fd)


async def _until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(10):
        while not condition():
            await asyncio.sleep(0.01)


async def test_each_change_is_pushed_once_and_a_follower_takes_over(
    store: Store, tmp_path: Path, push_service: PushService
) -> None:
    account_id = _verified_subscription(store, push_service.url("/once"))
    data = tmp_path / "data"
    lock = data / LOCK_FILE
    first_bus, second_bus = LocalBus(), LocalBus()

    def publish(state: str) -> None:
        change = StateChange(account_id, {"Email": state})
        first_bus.publish_change(change)
        second_bus.publish_change(change)

    async with contextlib.AsyncExitStack() as second_worker:
        first_worker = dispatching(store, first_bus, data, allow_private=True, retry_seconds=0.02)
        await first_worker.__aenter__()
        try:
            await _until(lambda: _lock_is_held(lock))
            await second_worker.enter_async_context(
                dispatching(store, second_bus, data, allow_private=True, retry_seconds=0.02)
            )
            await _until(lambda: first_bus.listeners == 1)
            publish("s1")
            await asyncio.to_thread(push_service.wait_for, 1, "/once")
        finally:
            await first_worker.__aexit__(None, None, None)
        # The first worker is gone: the second takes the lock and listens.
        await _until(lambda: second_bus.listeners == 1)
        publish("s2")
        received = await asyncio.to_thread(push_service.wait_for, 2, "/once")
        assert [r.json()["changed"][account_id]["Email"] for r in received] == ["s1", "s2"]
    # Both workers heard both changes; each was POSTed once.
    assert len(push_service.posts("/once")) == 2
