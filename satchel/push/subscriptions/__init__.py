"""PushSubscription (RFC 8620 section 7.2): registration, verification and delivery."""

from __future__ import annotations

from typing import TYPE_CHECKING

from satchel.config import Settings
from satchel.core.registry import Registry

if TYPE_CHECKING:
    from satchel.companions import Companion
    from satchel.services import Services


def register_push_subscription(registry: Registry, settings: Settings) -> None:
    """Register PushSubscription/get and /set (core capability)."""


def subscription_companions(services: Services) -> list[Companion]:
    """Background tasks delivering StateChanges to push subscriptions."""
    return []
