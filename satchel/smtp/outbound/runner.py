"""The outbound queue runner: works every due message of the queue (`satchel.store.
outbound_base`), local recipients through the ingest path, remote ones through the relay, with
exponential backoff between attempts and a bounce (RFC 3464 DSN) to the sender when a
recipient fails for good or the retry window runs out. A DSN is queued in the commit that
records the failure, as a message of its own (null sender), so it is delivered exactly like
any other and cannot be lost in between.

Every serving process runs one; a message is worked by whoever holds its lease, so processes
never deliver it twice, and a process that dies leaves a lease that simply runs out. A local
copy is marked delivered in the same commit that stores it (exactly once); a relay's 250 can
still be lost by a crash right after it (at least once), which SMTP itself cannot avoid.

Each message is worked in a task of its own, so a slow relay conversation delays nobody else.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import secrets
import socket
import time
import weakref
from collections.abc import AsyncIterator

from satchel.config import Settings
from satchel.mail.ingest import IngestError
from satchel.mail.recipients import is_local
from satchel.mail.submission.envelope import notify, parameter
from satchel.mail.submission.status import sync_submission
from satchel.mail.vacation_delivery import schedule_auto_reply
from satchel.smtp.outbound.dsn import Failure, compose_dsn
from satchel.smtp.outbound.local import deliver_local, local_trace, resolve_local
from satchel.smtp.outbound.queue_entry import new_outbound
from satchel.smtp.outbound.relay import RelayRecipient, parse_relay, relay_send
from satchel.store.base import Store, StoreError, WriteTxn
from satchel.store.outbound_base import OutboundMessage, OutboundRecipient

log = logging.getLogger("satchel.outbound")

DELIVERED_REPLY = "250 2.1.5 Delivered to the recipient's mailbox"
MAX_CLAIM = 100
# Finished messages stay this long (a DSN or MDN may still come back for them), swept hourly.
KEEP_FINISHED = 30 * 24 * 3600.0
PURGE_EVERY = 3600.0


class LeaseLost(RuntimeError):
    """Another worker took the message over: this one must not record anything."""


def backoff(settings: Settings, attempts: int) -> float:
    """Seconds before the next attempt after `attempts` (1, 2, ...): doubling from the initial
    delay, capped at the maximum."""
    delay = settings.smtp_retry_initial_seconds * 2 ** max(0, min(attempts - 1, 30))
    return float(min(delay, settings.smtp_retry_max_seconds))


def _code_class(reply: str) -> str:
    return reply[:1] if reply[:1] in "2345" else "4"


class OutboundRunner:
    """Works the queue of one store. `run()` loops until cancelled; `run_due()` works what is
    due now and `idle()` waits for the work in flight (both for tests and inline delivery)."""

    def __init__(self, store: Store, settings: Settings, *, poll_seconds: float = 30.0) -> None:
        self.store = store
        self.settings = settings
        self.poll_seconds = poll_seconds
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self._wake: asyncio.Event | None = None
        self._working: dict[str, asyncio.Task[None]] = {}
        _RUNNERS.add(self)

    def wake(self) -> None:
        if self._wake is not None:
            self._wake.set()

    async def run(self) -> None:
        self._wake = asyncio.Event()
        purged_at = 0.0
        try:
            while True:
                self._wake.clear()
                if time.time() - purged_at > PURGE_EVERY:
                    purged_at = time.time()
                    await self._purge(purged_at - KEEP_FINISHED)
                await self.run_due()
                next_due = await self.store.read(lambda txn: txn.outbound_next_due())
                wait = self.poll_seconds
                if next_due is not None:
                    wait = max(0.0, min(wait, next_due - time.time()) + 0.01)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), wait)
        finally:
            working = list(self._working)
            for task in list(self._working.values()):
                task.cancel()
            await asyncio.gather(*self._working.values(), return_exceptions=True)
            await self._release(working)

    async def _purge(self, before: float) -> None:
        await self.store.write("", lambda txn: txn.outbound_purge(before))

    async def _release(self, message_ids: list[str]) -> None:
        """At shutdown, give back the leases of interrupted attempts so the next process
        resumes them at once instead of after the lease runs out."""
        if not message_ids:
            return
        now = time.time()

        def release(txn: WriteTxn) -> None:
            for message_id in message_ids:
                txn.outbound_release(message_id, self.owner, now)

        try:
            await asyncio.shield(self.store.write("", release))
        except Exception:
            log.exception("outbound: could not release %d leases at shutdown", len(message_ids))

    async def run_due(self) -> None:
        now = time.time()
        due = await self.store.read(lambda txn: txn.outbound_due(now, MAX_CLAIM))
        for message_id in due:
            if message_id not in self._working:
                self._working[message_id] = asyncio.create_task(self._guarded(message_id))

    async def idle(self) -> None:
        """Wait until the messages being worked are done (their next attempts are not)."""
        while self._working:
            await asyncio.gather(*self._working.values(), return_exceptions=True)

    async def _guarded(self, message_id: str) -> None:
        try:
            await process(self.store, self.settings, message_id, self.owner)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("outbound message %s: attempt failed", message_id)
        finally:
            self._working.pop(message_id, None)
            self.wake()  # its next attempt may be sooner than the loop's next look


_RUNNERS: weakref.WeakSet[OutboundRunner] = weakref.WeakSet()


def wake_runners(store: Store) -> None:
    """New work for `store`'s runners in this process (others find it when they poll)."""
    for runner in list(_RUNNERS):
        if runner.store is store:
            runner.wake()


def _lease_seconds(settings: Settings, message: OutboundMessage) -> float:
    commands = 6 + len(message.recipients)
    return settings.smtp_relay_timeout_seconds * commands + 60.0


@dataclasses.dataclass(frozen=True, slots=True)
class _Outcome:
    """What one attempt learnt about a recipient; `recorded` when it is already written (a
    local copy marks itself in the commit that stores it)."""

    address: str
    state: str  # delivered | relayed | failed | queued
    reply: str
    remote_mta: str | None = None
    recorded: bool = False


async def process(
    store: Store, settings: Settings, message_id: str, owner: str, *, remote: bool = True
) -> None:
    """One attempt at a queued message, if it is due and nobody else holds it: local
    recipients, then (when `remote`) the relay; then, in one commit, the outcomes, the next
    attempt and the notices the sender gets (queued as messages of their own, so a crash
    cannot lose a bounce)."""
    found = await store.read(lambda txn: txn.outbound_message(message_id))
    if found is None or found.state != "queued":
        return
    if not remote and not any(
        r.state == "queued" and is_local(settings, r.address) for r in found.recipients
    ):
        return  # nothing to do inline: no attempt is counted (the submission stays pending)
    now = time.time()
    lease_until = now + _lease_seconds(settings, found)

    def claim(txn: WriteTxn) -> OutboundMessage | None:
        claimed = txn.outbound_claim(message_id, owner, now, lease_until)
        if claimed is not None:
            sync_submission(txn, claimed)
        return claimed

    message, _ = await store.write(found.account_id, claim)
    if message is None:
        return
    outcomes: list[_Outcome] = []
    queued = [r for r in message.recipients if r.state == "queued"]
    local = [r.address for r in queued if is_local(settings, r.address)]
    for address in local:
        outcomes.append(await _deliver_one_local(store, settings, message, owner, address))
    relay_queued = [r for r in queued if r.address not in local]
    if remote and relay_queued:
        outcomes += await _relay(settings, message, relay_queued)
    notice_id = await _finish(store, settings, message, owner, outcomes, remote=remote)
    if notice_id is not None:  # a local sender gets it at once; a remote one via the relay
        await process(store, settings, notice_id, owner, remote=False)
        wake_runners(store)


async def _deliver_one_local(
    store: Store, settings: Settings, message: OutboundMessage, owner: str, address: str
) -> _Outcome:
    recipient = await resolve_local(store, settings, address)
    if recipient is None:
        return _Outcome(address, "failed", f"550 5.1.1 <{address}>: no such user here")

    def mark(txn: WriteTxn, blob_id: str) -> None:
        if not txn.outbound_record(message.id, owner, address, "delivered", DELIVERED_REPLY):
            raise LeaseLost(message.id)

    raw = local_trace(message.mail_from, address, message.id) + message.raw
    try:
        await deliver_local(store, recipient, raw, also=mark)
    except IngestError as error:
        return _Outcome(address, "failed", f"550 5.2.0 <{address}>: {error}")
    except StoreError as error:
        log.warning("outbound %s: local delivery to %s failed: %s", message.id, address, error)
        return _Outcome(address, "queued", "451 4.3.0 Temporary failure, will retry")
    # The same vacation auto-reply an LMTP delivery gets (RFC 3834 rules; null senders none).
    schedule_auto_reply(store, settings, recipient.account_id, raw)
    return _Outcome(address, "delivered", DELIVERED_REPLY, recorded=True)


async def _relay(
    settings: Settings, message: OutboundMessage, recipients: list[OutboundRecipient]
) -> list[_Outcome]:
    wanted = [RelayRecipient(r.address, r.params) for r in recipients]
    replies = await relay_send(settings, message.mail_from, (), wanted, message.raw)
    relay = parse_relay(settings.smtp_relay)
    mta = None if relay is None else relay.host
    outcomes = []
    for address, reply in replies.items():
        kind = _code_class(reply)
        state = "relayed" if kind == "2" else "failed" if kind == "5" else "queued"
        outcomes.append(_Outcome(address, state, reply, mta))
    return outcomes


async def _finish(
    store: Store,
    settings: Settings,
    message: OutboundMessage,
    owner: str,
    outcomes: list[_Outcome],
    *,
    remote: bool,
) -> str | None:
    """Record the attempt and queue the DSN it calls for, all in one commit; the DSN's id."""
    now = time.time()
    delay = backoff(settings, message.attempts) if remote else 0.0
    expired = remote and now + delay > message.send_at + settings.smtp_retry_window_seconds

    def write(txn: WriteTxn) -> str | None:
        for outcome in outcomes:
            if outcome.recorded:
                continue
            if not txn.outbound_record(
                message.id, owner, outcome.address, outcome.state, outcome.reply
            ):
                raise LeaseLost(message.id)
        reports = [o for o in outcomes if o.state != "queued"]
        if expired:
            reply = f"451 4.4.7 Delivery time expired after {message.attempts} attempts"
            for gone in txn.outbound_fail_remaining(message.id, owner, reply):
                reports.append(_Outcome(gone.address, "failed", reply))
        txn.outbound_release(message.id, owner, now + delay)
        after = txn.outbound_message(message.id)
        if after is not None:
            sync_submission(txn, after)
        return _queue_notice(txn, settings, message, reports)

    notice_id, _ = await store.write(message.account_id, write)
    return notice_id


def _queue_notice(
    txn: WriteTxn, settings: Settings, message: OutboundMessage, outcomes: list[_Outcome]
) -> str | None:
    """Queue the DSN for the outcomes the sender asked to hear about (RFC 3461 section 4.1,
    NOTIFY: failures unless told otherwise, successes only when asked), to the reverse-path,
    with the null sender so it can never bounce itself; its queue id, or None."""
    if not message.mail_from:
        return None
    params = {r.address: r.params for r in message.recipients}
    notices = []
    for outcome in outcomes:
        action = "failed" if outcome.state == "failed" else outcome.state
        asked = notify(params.get(outcome.address, ()))
        if ("FAILURE" if action == "failed" else "SUCCESS") not in asked:
            continue
        notices.append(
            Failure(
                outcome.address,
                outcome.reply,
                outcome.remote_mta,
                action=action,
                original_recipient=parameter(params.get(outcome.address, ()), "ORCPT"),
            )
        )
    if not notices:
        return None
    raw = compose_dsn(
        domain=settings.domain,
        original_sender=message.mail_from,
        original=message.raw,
        failures=notices,
        arrival=message.created_at,
        envelope_id=parameter(message.mail_params, "ENVID"),
        full=parameter(message.mail_params, "RET") == "FULL",
    )
    notice = new_outbound(mail_from="", recipients=[(message.mail_from, ())], raw=raw)
    txn.outbound_enqueue(notice)
    return notice.id


async def deliver_queued(store: Store, settings: Settings, message_id: str) -> None:
    """Right after queueing: deliver the local recipients now (the sender sees them arrive
    before the JMAP response), leave the remote ones to the runners and wake them."""
    try:
        await process(store, settings, message_id, f"inline:{secrets.token_hex(6)}", remote=False)
    except Exception:
        # Queued and committed all the same: a runner retries once the lease runs out.
        log.exception("outbound message %s: immediate local delivery failed", message_id)
    wake_runners(store)


@contextlib.asynccontextmanager
async def running(store: Store, settings: Settings) -> AsyncIterator[OutboundRunner]:
    """The runner as a companion of a serving process."""
    runner = OutboundRunner(store, settings)
    task = asyncio.create_task(runner.run())
    try:
        yield runner
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
