"""Group commit for inbound mail: deliveries to the same account that arrive while one is being
written go together into the next write transaction (`ingest_batch`), so several LMTP
connections share one fsync instead of queueing for one each.

Each delivery still learns its own outcome: when a batch fails as a whole, its messages are
retried one by one, so a bad message fails only itself. A delivery's future resolves only after
its transaction committed (RFC 2033 section 4.2: the 250 means the copy is stored).

Given the settings, each committed delivery then starts the account's vacation auto-reply in
the background (`satchel.mail.vacation_delivery`), never holding up the answer.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Final

from satchel.config import Settings
from satchel.mail.ingest import Incoming, ingest, ingest_batch
from satchel.mail.vacation_delivery import schedule_auto_reply
from satchel.store.base import Store

MAX_BATCH: Final = 64  # messages per transaction: bounds the latency one batch adds


@dataclass(slots=True)
class _Pending:
    incoming: Incoming
    done: asyncio.Future[str]


@dataclass(slots=True)
class DeliveryQueue:
    store: Store
    max_batch: int = MAX_BATCH
    settings: Settings | None = None  # None: no vacation auto-replies
    _pending: dict[str, list[_Pending]] = field(default_factory=dict)
    _draining: dict[str, asyncio.Task[None]] = field(default_factory=dict)

    async def deliver(self, account_id: str, incoming: Incoming) -> str:
        """Store the message durably; its Email id. Raises what `ingest` raises for it."""
        # The file first, on a thread of its own: concurrent deliveries fsync their files side
        # by side instead of one after another inside the batch (ingest then finds it stored).
        await asyncio.to_thread(self.store.blobs.put, incoming.raw)
        done: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._pending.setdefault(account_id, []).append(_Pending(incoming, done))
        if account_id not in self._draining:
            self._draining[account_id] = asyncio.create_task(self._drain(account_id))
        # Shielded: a client hanging up does not abandon a write other deliveries share.
        return await asyncio.shield(done)

    async def _drain(self, account_id: str) -> None:
        pending: list[_Pending] = []
        try:
            while pending := self._pending.pop(account_id, []):
                for start in range(0, len(pending), self.max_batch):
                    await self._write(account_id, pending[start : start + self.max_batch])
        except BaseException as error:
            # Cancelled (shutdown) or worse: nobody may wait forever for an answer.
            for one in pending + self._pending.pop(account_id, []):
                _settle(one, error=RuntimeError(f"delivery interrupted: {error!r}"))
            raise
        finally:
            del self._draining[account_id]

    async def _write(self, account_id: str, batch: list[_Pending]) -> None:
        try:
            ids, _ = await ingest_batch(
                self.store, account_id, [p.incoming for p in batch], delivery=True
            )
        except Exception as error:
            if len(batch) == 1:
                _settle(batch[0], error=error)
                return
            for one in batch:
                try:
                    email_id, _ = await ingest(self.store, account_id, one.incoming, delivery=True)
                except Exception as single_error:
                    _settle(one, error=single_error)
                else:
                    self._delivered(account_id, one, email_id)
            return
        for one, email_id in zip(batch, ids, strict=True):
            self._delivered(account_id, one, email_id)

    def _delivered(self, account_id: str, one: _Pending, email_id: str) -> None:
        _settle(one, email_id=email_id)
        if self.settings is not None:
            schedule_auto_reply(self.store, self.settings, account_id, one.incoming.raw)


def _settle(
    pending: _Pending, *, email_id: str | None = None, error: BaseException | None = None
) -> None:
    if pending.done.done():
        return
    if error is not None:
        pending.done.set_exception(error)
    else:
        assert email_id is not None
        pending.done.set_result(email_id)
