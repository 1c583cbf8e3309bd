"""Sending one message: the single entry point for everything that sends mail (EmailSubmission,
vacation auto-replies, DSNs). Every message goes into the durable outbound queue first (one
commit); local recipients are then delivered at once through the LMTP ingest path, remote ones
are left to the queue runners, which hand them to the relay. Owned by the outbound-queue work
(issue 4)."""

from __future__ import annotations

from collections.abc import Sequence

from satchel.config import Settings
from satchel.smtp.outbound.queue_entry import new_outbound
from satchel.smtp.outbound.runner import deliver_queued
from satchel.store.base import Store

__all__ = ["new_outbound", "send_message"]


async def send_message(
    store: Store,
    settings: Settings,
    *,
    mail_from: str,
    recipients: Sequence[str],
    raw: bytes,
) -> None:
    """Deliver or durably queue `raw` for every recipient before returning. `mail_from` is the
    envelope sender ("" for auto-replies and DSNs, RFC 3834 / RFC 3464). Local copies are
    stored before this returns; an unknown local user or a refusing relay bounces to the sender
    later (never for a null sender), and remote recipients without a relay bounce the same
    way."""
    if not recipients:
        return
    message = new_outbound(mail_from=mail_from, recipients=[(r, ()) for r in recipients], raw=raw)
    await store.write("", lambda txn: txn.outbound_enqueue(message))
    await deliver_queued(store, settings, message.id)
