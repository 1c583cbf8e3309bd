"""One delivering process (issue 5): with `satchel serve --workers N` every worker receives every
StateChange, but only the one holding an exclusive `flock` on `DATA/push-dispatch.lock` runs the
dispatcher, so each StateChange is POSTed once. The others try again every few seconds; the
kernel drops the lock when its holder exits or dies, and one of them takes over.

The leader also purges expired subscriptions, at start and then periodically."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from satchel.push.bus import StateBus
from satchel.push.subscriptions.dispatcher import DeliveryPolicy, Dispatcher
from satchel.push.subscriptions.sender import PushSender, new_http_client
from satchel.store.base import Store, WriteTxn

log = logging.getLogger(__name__)

LOCK_FILE = "push-dispatch.lock"
RETRY_LOCK_SECONDS = 2.0
PURGE_EVERY_SECONDS = 600.0


def try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


async def lead_when_possible(
    lock_path: Path, lead: Callable[[], Awaitable[None]], retry_seconds: float = RETRY_LOCK_SECONDS
) -> None:
    """Wait for the lock (polling without blocking the loop), then run `lead` while holding it.
    Should `lead` end or fail, the lock is let go and competed for again. Cancelling releases
    the lock."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            while not try_lock(fd):
                await asyncio.sleep(retry_seconds)
            log.info("push: this process (pid %d) delivers push subscriptions", os.getpid())
            try:
                await lead()
            except Exception:
                log.exception("push: the dispatcher failed; competing for the lock again")
        finally:
            os.close(fd)  # closing the only descriptor releases the flock
        await asyncio.sleep(retry_seconds)


async def run_dispatcher(
    store: Store, bus: StateBus, *, allow_private: bool, policy: DeliveryPolicy | None = None
) -> None:
    """The leader's work: listen to every account's StateChanges and deliver them; purge."""
    listener = bus.listen(None)
    purger = asyncio.create_task(_purge_loop(store))
    try:
        async with new_http_client() as client:
            dispatcher = Dispatcher(store, PushSender(client, allow_private=allow_private), policy)
            await dispatcher.run(listener)
    finally:
        listener.close()
        purger.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await purger


def _purge_expired(txn: WriteTxn) -> int:
    return txn.purge_expired_push_subscriptions(time.time())


async def _purge_loop(store: Store) -> None:
    while True:
        try:
            purged, _ = await store.write("", _purge_expired)
            if purged:
                log.info("push: purged %d expired subscriptions", purged)
        except Exception:
            log.exception("push: purging expired subscriptions failed")
        await asyncio.sleep(PURGE_EVERY_SECONDS)


@contextlib.asynccontextmanager
async def dispatching(
    store: Store,
    bus: StateBus,
    data_dir: Path,
    *,
    allow_private: bool,
    policy: DeliveryPolicy | None = None,
    retry_seconds: float = RETRY_LOCK_SECONDS,
) -> AsyncIterator[None]:
    """A companion: compete for leadership for the lifetime of the block."""

    async def lead() -> None:
        await run_dispatcher(store, bus, allow_private=allow_private, policy=policy)

    task = asyncio.create_task(
        lead_when_possible(data_dir / LOCK_FILE, lead, retry_seconds), name="push-leader"
    )
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
