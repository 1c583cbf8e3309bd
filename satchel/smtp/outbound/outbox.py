"""Sending one message: the single entry point for everything that sends mail (EmailSubmission,
vacation auto-replies, DSNs). Local recipients are delivered through the LMTP ingest path; remote
ones are queued durably for the relay. Owned by the outbound-queue work (issue 4)."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence

from satchel.config import Settings
from satchel.mail.recipients import is_local
from satchel.smtp.outbound.local import deliver_local, local_trace, resolve_local
from satchel.store.base import Store

log = logging.getLogger("satchel.outbound")


class RemoteRecipientsRefused(ValueError):
    """Remote recipients while no relay can take them; nothing was sent to anyone."""


async def send_message(
    store: Store,
    settings: Settings,
    *,
    mail_from: str,
    recipients: Sequence[str],
    raw: bytes,
) -> None:
    """Deliver or durably queue `raw` for every recipient before returning. `mail_from` is the
    envelope sender ("" for auto-replies and DSNs, RFC 3834 / RFC 3464)."""
    remote = [r for r in recipients if not is_local(settings, r)]
    if remote:
        raise RemoteRecipientsRefused(f"no relay for remote recipients: {', '.join(remote)}")
    queue_id = secrets.token_hex(8)
    for address in dict.fromkeys(recipients):
        recipient = await resolve_local(store, settings, address)
        if recipient is None:
            log.warning("outbound message %s: no local user %s", queue_id, address)
            continue
        await deliver_local(store, recipient, local_trace(mail_from, address, queue_id) + raw)
