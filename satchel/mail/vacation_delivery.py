"""The vacation auto-reply on delivery: after a message to an account is committed, decide
(`vacation_rules`), claim the sender in the reply log (one reply per sender per period, even when
deliveries race), compose (`vacation_reply`) and send with a null envelope sender (RFC 3834
section 3.3) through the outbox, which delivers locally or queues for the relay.

It runs as a task of its own after the delivery's answer is decided: a slow or failing
auto-reply never fails or delays the delivery (an LMTP 250 is not an auto-reply's to give).
Failures are logged and dropped; the claim stays, so a failure never turns into a reply storm."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from satchel.config import Settings
from satchel.mail.provision import IDENTITY_TYPE, VACATION_ID, VACATION_TYPE
from satchel.mail.recipients import primary_address, resolve
from satchel.mail.senders import may_send_from
from satchel.mail.vacation_reply import compose_reply
from satchel.mail.vacation_rules import (
    REPLY_PERIOD_SECONDS,
    Original,
    in_effect,
    read_original,
    skip_reason,
)
from satchel.store.base import ReadTxn, Store, WriteTxn

log = logging.getLogger("satchel.vacation")

_running: set[asyncio.Task[bool]] = set()


@dataclass(frozen=True, slots=True)
class Plan:
    vacation: dict[str, Any]
    from_address: str
    from_name: str
    to: str


def plan_reply(
    txn: ReadTxn, settings: Settings, account_id: str, original: Original, now: datetime
) -> Plan | None:
    """The reply to send for `original`, or None (vacation off, out of its dates, or a rule
    says no)."""
    records = txn.get_records(account_id, VACATION_TYPE, [VACATION_ID])
    if not records or not in_effect(records[0].data, now):
        return None
    owner_id = txn.account_owner(account_id)
    owner = None if owner_id is None else txn.user_by_id(owner_id)
    if owner is None:
        return None

    def is_own(address: str) -> bool:
        if may_send_from(txn, settings, owner.id, address):
            return True
        found = resolve(txn, settings, address)
        return found is not None and found.account_id == account_id

    reason = skip_reason(original, is_own)
    if reason is not None:
        log.debug("no vacation reply from account %s: %s", account_id, reason)
        return None
    assert original.envelope_sender is not None
    name = owner.username
    for identity in txn.get_records(account_id, IDENTITY_TYPE, None):
        if identity.data.get("mayDelete") is False:
            name = str(identity.data.get("name") or name)
            break
    return Plan(
        vacation=dict(records[0].data),
        from_address=primary_address(settings, owner.username),
        from_name=name,
        to=original.envelope_sender,
    )


async def auto_reply(
    store: Store, settings: Settings, account_id: str, raw: bytes, now: datetime | None = None
) -> bool:
    """Answer a message just delivered to `account_id` if its VacationResponse says so; whether
    a reply was sent."""
    from satchel.smtp.outbound.outbox import send_message  # the outbox imports mail modules

    now = datetime.now(UTC) if now is None else now
    original = read_original(raw)
    plan = await store.read(lambda txn: plan_reply(txn, settings, account_id, original, now))
    if plan is None:
        return False

    def claim(txn: WriteTxn) -> bool:
        return txn.claim_vacation_reply(account_id, plan.to, now.timestamp(), REPLY_PERIOD_SECONDS)

    claimed, _ = await store.write(account_id, claim)
    if not claimed:
        log.debug("no vacation reply from account %s: %s answered already", account_id, plan.to)
        return False
    reply = compose_reply(
        plan.vacation,
        original,
        from_address=plan.from_address,
        from_name=plan.from_name,
        to=plan.to,
        now=now,
        domain=settings.domain,
    )
    await send_message(store, settings, mail_from="", recipients=[plan.to], raw=reply)
    log.info("vacation reply from account %s to %s", account_id, plan.to)
    return True


async def _guarded(store: Store, settings: Settings, account_id: str, raw: bytes) -> bool:
    try:
        return await auto_reply(store, settings, account_id, raw)
    except Exception:
        log.exception("vacation auto-reply for account %s failed", account_id)
        return False


def schedule_auto_reply(store: Store, settings: Settings, account_id: str, raw: bytes) -> None:
    """Start the auto-reply for a committed delivery in the background (see the module
    docstring); call from the event loop."""
    task = asyncio.get_running_loop().create_task(_guarded(store, settings, account_id, raw))
    _running.add(task)
    task.add_done_callback(_running.discard)


async def auto_replies_settled() -> None:
    """Wait until every auto-reply started so far is done (tests; orderly shutdown)."""
    while _running:
        await asyncio.gather(*list(_running), return_exceptions=True)
