"""Sending one message: the single entry point for everything that sends mail (EmailSubmission,
vacation auto-replies, DSNs). Local recipients are delivered through the LMTP ingest path; remote
ones are queued durably for the relay. Owned by the outbound-queue work (issue 4)."""

from __future__ import annotations

from collections.abc import Sequence

from satchel.config import Settings
from satchel.store.base import Store


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
    raise NotImplementedError("outbound delivery lands with issue 4")
