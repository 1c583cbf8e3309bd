"""In-process fan-out of state changes to listeners, whatever carried them to this process.

Every bus backend (unix datagrams between the workers of one machine today, PostgreSQL
LISTEN/NOTIFY later) ends in `Hub.dispatch`: it runs on the event loop's thread only, so no
locks. A listener that does not read keeps one entry per account with the newest modseq of each
type (RFC 8620 section 7.1: "the format allows multiple changes to be coalesced"), so its memory is
bounded by the accounts it listens to, never by the number of commits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Final

from satchel.core.state import encode_state
from satchel.push.bus import Listener, StateChange

# Modseqs already announced per (account, type), to drop a change that arrives after a newer one
# (two processes commit in one order, their datagrams may land in the other). Bounded: when it
# grows past this it is forgotten, which at worst lets one stale duplicate through.
_SEEN_LIMIT: Final = 100_000

TypeModseqs = dict[str, int]


class QueueListener:
    """A `Listener` (bus.py) fed by a Hub. Iterating yields one StateChange per account with
    pending changes; `take_pending` hands over the rest at once (to coalesce into one event)."""

    __slots__ = ("_accounts", "_hub", "_pending", "_waiter", "closed", "notify")

    def __init__(self, hub: Hub, accounts: frozenset[str] | None) -> None:
        self._hub = hub
        self._accounts = accounts
        self._pending: dict[str, TypeModseqs] = {}
        self._waiter: asyncio.Future[None] | None = None
        self.closed = False
        # Called (on the loop) when a change is pending or the listener closes: lets a consumer
        # react without a coroutine of its own parked on the listener.
        self.notify: Callable[[], None] | None = None

    @property
    def accounts(self) -> frozenset[str] | None:
        return self._accounts

    def offer(self, account_id: str, changes: Mapping[str, int]) -> None:
        merged = self._pending.setdefault(account_id, {})
        for type_name, modseq in changes.items():
            if modseq > merged.get(type_name, -1):
                merged[type_name] = modseq
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        if self.notify is not None:
            self.notify()

    def __aiter__(self) -> QueueListener:
        return self

    async def __anext__(self) -> StateChange:
        while not self._pending:
            if self.closed:
                raise StopAsyncIteration
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        account_id = next(iter(self._pending))
        return _state_change(account_id, self._pending.pop(account_id))

    def take_pending(self) -> list[StateChange]:
        """Every pending change, without waiting (empty when there is none)."""
        pending, self._pending = self._pending, {}
        return [_state_change(account, changes) for account, changes in pending.items()]

    def has_pending(self) -> bool:
        return bool(self._pending)

    def pending_count(self) -> int:
        """Accounts with pending changes: what a listener that does not read holds."""
        return len(self._pending)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._hub.remove(self)
        self._wake()


def _state_change(account_id: str, changes: TypeModseqs) -> StateChange:
    # RFC 8620 section 7.1: the value is the state Foo/get would return, i.e. encode_state of
    # the type's high modseq, which is the modseq of the commit that last changed it.
    return StateChange(
        account_id, {name: encode_state(modseq, name) for name, modseq in changes.items()}
    )


class Hub:
    """Listeners of this process, by account. `pushable` decides which type names are data types
    a client may be told about (internal bookkeeping types are not)."""

    def __init__(self, pushable: Callable[[str], bool] | None = None) -> None:
        self.pushable = pushable
        self._by_account: dict[str, set[QueueListener]] = {}
        self._everything: set[QueueListener] = set()
        self._seen: dict[tuple[str, str], int] = {}

    def listen(self, account_ids: Collection[str] | None = None) -> QueueListener:
        accounts = None if account_ids is None else frozenset(account_ids)
        listener = QueueListener(self, accounts)
        if accounts is None:
            self._everything.add(listener)
        else:
            for account_id in accounts:
                self._by_account.setdefault(account_id, set()).add(listener)
        return listener

    def remove(self, listener: QueueListener) -> None:
        if listener.accounts is None:
            self._everything.discard(listener)
            return
        for account_id in listener.accounts:
            listeners = self._by_account.get(account_id)
            if listeners is not None:
                listeners.discard(listener)
                if not listeners:
                    del self._by_account[account_id]

    def close_all(self) -> None:
        """End every listener (the process stops receiving): their iterations finish."""
        every = set(self._everything)
        for listeners in self._by_account.values():
            every |= listeners
        for listener in every:
            listener.close()

    def listener_count(self) -> int:
        every = set(self._everything)
        for listeners in self._by_account.values():
            every |= listeners
        return len(every)

    def dispatch(self, account_id: str, changes: Mapping[str, int]) -> None:
        """Hand one commit's changes (type name -> modseq) to the account's listeners."""
        fresh = dict(self._fresh(account_id, changes.items()))
        if not fresh:
            return
        for listener in self._by_account.get(account_id, ()):
            listener.offer(account_id, fresh)
        for listener in self._everything:
            listener.offer(account_id, fresh)

    def _fresh(
        self, account_id: str, changes: Iterable[tuple[str, int]]
    ) -> Iterable[tuple[str, int]]:
        if len(self._seen) > _SEEN_LIMIT:
            self._seen.clear()
        for type_name, modseq in changes:
            if self.pushable is not None and not self.pushable(type_name):
                continue
            key = (account_id, type_name)
            if modseq <= self._seen.get(key, -1):
                continue
            self._seen[key] = modseq
            yield type_name, modseq


def pending_batch(listener: Listener, first: StateChange) -> list[StateChange]:
    """`first` and whatever else already waits in the listener, to send as one StateChange."""
    if isinstance(listener, QueueListener):
        return [first, *listener.take_pending()]
    return [first]
