"""The store every writer uses once push is wired: the real store, plus a StateChange published
on the bus after each commit. Wrapping `write`/`write_sync` means no write path (API, LMTP, CLI,
submission queue) can forget to publish."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from satchel.push.bus import StateBus
from satchel.store.base import BlobFiles, CommitResult, ReadTxn, Store, WriteTxn

T = TypeVar("T")


class PublishingStore:
    """A `Store` that publishes each committed write on `bus`; everything else is the inner
    store's (backend-specific extras too, through attribute delegation)."""

    def __init__(self, inner: Store, bus: StateBus) -> None:
        self.inner = inner
        self.bus = bus
        self.blobs: BlobFiles = inner.blobs

    async def write(self, account_id: str, fn: Callable[[WriteTxn], T]) -> tuple[T, CommitResult]:
        result, commit = await self.inner.write(account_id, fn)
        self.bus.publish(commit)
        return result, commit

    def write_sync(self, account_id: str, fn: Callable[[WriteTxn], T]) -> tuple[T, CommitResult]:
        result, commit = self.inner.write_sync(account_id, fn)
        self.bus.publish(commit)
        return result, commit

    async def read(self, fn: Callable[[ReadTxn], T]) -> T:
        return await self.inner.read(fn)

    def read_now(self, fn: Callable[[ReadTxn], T]) -> T:
        return self.inner.read_now(fn)

    def read_directory_memo(self, key: Hashable, fn: Callable[[ReadTxn], T]) -> T:
        return self.inner.read_directory_memo(key, fn)

    def read_sync(self, fn: Callable[[ReadTxn], T]) -> T:
        return self.inner.read_sync(fn)

    async def close(self) -> None:
        await self.inner.close()

    def close_sync(self) -> None:
        self.inner.close_sync()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)
