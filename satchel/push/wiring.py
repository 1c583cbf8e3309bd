"""Putting the bus between the store and the push transports (owned by the push package).

`wire_push` is called by the composition root: it returns the store every writer must use (one
that publishes each commit on the bus) and the bus itself. `push_companions` are the background
tasks the bus needs in a serving process (e.g. receiving from other workers).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection
from typing import TYPE_CHECKING

from satchel.config import Settings
from satchel.push.bus import Listener, StateBus, StateChange
from satchel.store.base import CommitResult, Store

if TYPE_CHECKING:
    from satchel.companions import Companion
    from satchel.services import Services


class _NoListener:
    def __aiter__(self) -> AsyncIterator[StateChange]:
        return self._nothing()

    async def _nothing(self) -> AsyncIterator[StateChange]:
        return
        yield

    def close(self) -> None:
        pass


class NullBus:
    """Placeholder until the real bus lands: publishes nothing."""

    def publish(self, commit: CommitResult) -> None:
        pass

    def listen(self, account_ids: Collection[str] | None = None) -> Listener:
        return _NoListener()

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass


def wire_push(store: Store, settings: Settings) -> tuple[Store, StateBus]:
    return store, NullBus()


def push_companions(services: Services) -> list[Companion]:
    return []
