"""Outbound mail: local recipients straight into their accounts, remote ones through a durable
queue to the configured SMTP relay, with retries, backoff and DSNs."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from satchel.companions import Companion
    from satchel.services import Services


def outbound_companions(services: Services) -> list[Companion]:
    """The queue runner of this process (every worker runs one; leases keep them apart)."""
    from satchel.smtp.outbound.runner import running

    return [functools.partial(running, services.store, services.settings)]
