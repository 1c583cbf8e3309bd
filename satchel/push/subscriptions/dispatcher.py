"""Delivering StateChanges to push subscriptions (RFC 8620 sections 7.1 and 7.2).

For each StateChange from the bus the dispatcher looks up the verified, unexpired subscriptions
of the users who can see the account, keeps the types each asked for, and hands the result to
that subscription's `_Target`. A target POSTs one StateChange at a time; whatever arrives while
a POST is in flight or waiting for a retry is merged into one pending StateChange (the newest
state of each type wins, RFC 8620 section 7.1 allows amalgamating), so a target holds at most
one message however much changes and however slow its push service is.

Failures (network errors, timeouts, 5xx, 429, other statuses) are retried with exponential
backoff, no sooner than a Retry-After asks; a 429 also spaces later pushes out (section 7.2:
"reduce the frequency of pushes"). A 404 or 410, or failures that go on for `give_up_after`
seconds or `max_attempts` POSTs in a row, destroy the subscription. Each target runs in its own
task, so a push URL that hangs delays nobody else (`sender.py` bounds each POST).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterable, Callable
from dataclasses import dataclass, field

from satchel.push.bus import StateChange
from satchel.push.subscriptions.sender import Delivery, Outcome, PushSender
from satchel.store.base import ReadTxn, Store, WriteTxn
from satchel.store.push_base import PushSubscriptionRow

log = logging.getLogger(__name__)

TypeStates = dict[str, str]
Changed = dict[str, TypeStates]  # account id -> type -> state


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    # RFC 8030 section 5.2: how long the push service may keep an undelivered StateChange.
    # After a day the client resynchronises anyway, so an older one is worthless.
    ttl: int = 24 * 3600
    urgency: str = "normal"
    first_retry: float = 2.0
    max_retry: float = 3600.0
    max_attempts: int = 40
    give_up_after: float = 24 * 3600.0
    # After a 429, pushes to the subscription are at least this far apart (doubling on each
    # 429, halving on each success).
    throttle_step: float = 5.0
    max_throttle: float = 600.0

    def backoff(self, failures: int) -> float:
        """The wait before retry number `failures` (1-based), with jitter."""
        delay = min(self.first_retry * 2.0 ** (failures - 1), self.max_retry)
        return float(delay * random.uniform(0.8, 1.0))


def merge(into: Changed, newer: Changed) -> None:
    for account_id, states in newer.items():
        into.setdefault(account_id, {}).update(states)


def wanted_types(row: PushSubscriptionRow, changed: TypeStates) -> TypeStates:
    """Section 7.2: with `types`, other types are omitted (and nothing is sent if none is left)."""
    if row.types is None:
        return dict(changed)
    return {name: state for name, state in changed.items() if name in row.types}


@dataclass(slots=True)
class _Target:
    """One subscription's delivery state: the pending StateChange and its failure record."""

    subscription_id: str
    pending: Changed = field(default_factory=dict)
    task: asyncio.Task[None] | None = None
    failures: int = 0
    failing_since: float | None = None
    not_before: float = 0.0
    spacing: float = 0.0


class Dispatcher:
    """Pushes StateChanges to subscriptions; `run` consumes a listener until cancelled."""

    def __init__(
        self,
        store: Store,
        sender: PushSender,
        policy: DeliveryPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._sender = sender
        self._policy = policy or DeliveryPolicy()
        self._clock = clock
        self._targets: dict[str, _Target] = {}

    @property
    def active_targets(self) -> int:
        return len(self._targets)

    async def run(self, changes: AsyncIterable[StateChange]) -> None:
        try:
            async for change in changes:
                try:
                    await self.handle(change)
                except Exception:
                    log.exception("push: could not dispatch a StateChange of %s", change.account_id)
        finally:
            await self.stop()

    async def handle(self, change: StateChange) -> None:
        if not change.changed:
            return
        account_id, now = change.account_id, time.time()

        def read(txn: ReadTxn) -> list[PushSubscriptionRow]:
            return txn.push_subscriptions_for_account(account_id)

        # Once per commit, so remembered while no subscription (nor the account's owner)
        # changes: read again, it would cost a flag change ~50 us of the loop's time.
        rows = self._store.read_directory_memo(("push-subscriptions", account_id), read)
        for row in rows:
            if row.expires <= now:
                continue
            states = wanted_types(row, change.changed)
            if states:
                self._offer(row.id, {account_id: states})

    def _offer(self, subscription_id: str, changed: Changed) -> None:
        target = self._targets.get(subscription_id)
        if target is None:
            target = self._targets[subscription_id] = _Target(subscription_id)
        merge(target.pending, changed)
        if target.task is None:
            target.task = asyncio.create_task(
                self._deliver(target), name=f"push-deliver-{subscription_id}"
            )

    async def stop(self) -> None:
        tasks = [t.task for t in self._targets.values() if t.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._targets.clear()

    async def _deliver(self, target: _Target) -> None:
        """POST the pending StateChange until none is left (or the subscription is gone)."""
        try:
            while target.pending:
                await self._wait_until(target, target.not_before)
                row = await self._current(target.subscription_id)
                if row is None:
                    return
                message, target.pending = target.pending, {}
                delivery = await self._sender.send(
                    row,
                    {"@type": "StateChange", "changed": message},
                    ttl=self._policy.ttl,
                    urgency=self._policy.urgency,
                )
                if not await self._settle(target, row, message, delivery):
                    return
        except Exception:
            log.exception("push: delivery to %s failed", target.subscription_id)
        finally:
            if self._targets.get(target.subscription_id) is target:
                del self._targets[target.subscription_id]

    async def _wait_until(self, target: _Target, when: float) -> None:
        delay = when - self._clock()
        if delay > 0:
            await asyncio.sleep(delay)

    async def _current(self, subscription_id: str) -> PushSubscriptionRow | None:
        """The subscription as stored now: destroyed, expired or unverified ones get nothing."""

        def read(txn: ReadTxn) -> PushSubscriptionRow | None:
            return txn.push_subscription(subscription_id)

        row = self._store.read_now(read)
        if row is None or not row.verified or row.expires <= time.time():
            return None
        return row

    async def _settle(
        self, target: _Target, row: PushSubscriptionRow, message: Changed, delivery: Delivery
    ) -> bool:
        """Record the outcome of a POST; False when the target is finished with (dropped)."""
        policy, now = self._policy, self._clock()
        if delivery.outcome is Outcome.DELIVERED:
            target.failures, target.failing_since = 0, None
            target.spacing = target.spacing / 2 if target.spacing >= 1.0 else 0.0
            target.not_before = now + target.spacing
            return True
        if delivery.outcome is Outcome.GONE:
            log.info("push: subscription %s is gone (%s); destroying it", row.id, delivery.detail)
            await self._destroy(row.id)
            return False
        target.failures += 1
        if target.failing_since is None:
            target.failing_since = now
        if (
            target.failures >= policy.max_attempts
            or now - target.failing_since >= policy.give_up_after
        ):
            log.warning(
                "push: giving up on subscription %s after %d failures (%s); destroying it",
                row.id,
                target.failures,
                delivery.detail,
            )
            await self._destroy(row.id)
            return False
        # The failed message goes back under anything newer that arrived meanwhile.
        newer, target.pending = target.pending, message
        merge(target.pending, newer)
        if delivery.throttled:
            target.spacing = min(max(policy.throttle_step, target.spacing * 2), policy.max_throttle)
        wait = max(policy.backoff(target.failures), delivery.retry_after or 0.0, target.spacing)
        target.not_before = now + wait
        log.info(
            "push: POST to subscription %s failed (%s); retry %d in %.1fs",
            row.id,
            delivery.detail,
            target.failures,
            wait,
        )
        return True

    async def _destroy(self, subscription_id: str) -> None:
        def destroy(txn: WriteTxn) -> bool:
            return txn.delete_push_subscription(subscription_id)

        await self._store.write("", destroy)
