"""Outbound mail: local recipients straight into their accounts, remote ones through a durable
queue to the configured SMTP relay, with retries, backoff and DSNs."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from satchel.companions import Companion
    from satchel.services import Services


def outbound_companions(services: Services) -> list[Companion]:
    """Background tasks running the outbound queue."""
    return []
