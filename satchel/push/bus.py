"""The state-change bus: every committed write becomes a StateChange delivered to every listener
in every worker process of the server (RFC 8620 section 7.1).

This file is the seam the push transports code against. `publish` is called once per commit that
changed something; `listen` gives an async iterator of StateChanges for some accounts (or all).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection
from dataclasses import dataclass
from typing import Protocol

from satchel.store.base import CommitResult


@dataclass(frozen=True, slots=True)
class StateChange:
    """One account's new states: data type name -> state string (as /get would return it)."""

    account_id: str
    changed: dict[str, str]


class Listener(Protocol):
    """A subscription to the bus. Iterate it for StateChanges; close it when done (idempotent).
    A listener that falls behind must not hold memory without bound: it may coalesce changes of
    the same account (the newest state of each type wins)."""

    def __aiter__(self) -> AsyncIterator[StateChange]: ...

    def close(self) -> None: ...


class StateBus(Protocol):
    def publish(self, commit: CommitResult) -> None:
        """Announce a committed write to every process (no-op when nothing changed). Never
        blocks and never raises: push is best effort, the commit has already happened."""
        ...

    def listen(self, account_ids: Collection[str] | None = None) -> Listener:
        """StateChanges for these accounts (None: every account) from now on."""
        ...

    async def start(self) -> None:
        """Begin receiving from other processes (called in the server's lifespan)."""
        ...

    async def stop(self) -> None: ...
