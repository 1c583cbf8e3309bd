"""PushSubscription (RFC 8620 section 7.2): registration, verification and delivery.

`get.py`/`set.py` are the methods (core capability, no accountId: a subscription belongs to the
user), `verification.py` the PushVerification sent on create, `dispatcher.py` the delivery of
StateChanges with coalescing, retries and dropping, `leader.py` the choice of the one process
that delivers, `sender.py` one POST (`urls.py` SSRF checks, `webpush.py` RFC 8291 encryption).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from satchel.config import Settings
from satchel.core.core_methods import CORE
from satchel.core.registry import MethodSpec, Registry
from satchel.push.subscriptions.get import push_subscription_get
from satchel.push.subscriptions.leader import dispatching
from satchel.push.subscriptions.set import PushSubscriptionSet

if TYPE_CHECKING:
    from satchel.companions import Companion
    from satchel.services import Services


def register_push_subscription(registry: Registry, settings: Settings) -> None:
    """Register PushSubscription/get and /set (core capability)."""
    registry.add_method(
        MethodSpec(name="PushSubscription/get", capability=CORE, handler=push_subscription_get)
    )
    handler = PushSubscriptionSet(
        max_seconds=settings.push_subscription_max_seconds,
        allow_private=settings.push_allow_private_urls,
    )
    registry.add_method(MethodSpec(name="PushSubscription/set", capability=CORE, handler=handler))


def subscription_companions(services: Services) -> list[Companion]:
    """Background tasks delivering StateChanges to push subscriptions: competing for the
    delivering role, and at exit, stopping this process's PushVerifications in flight."""
    settings = services.settings

    @contextlib.asynccontextmanager
    async def delivering() -> AsyncIterator[None]:
        async with dispatching(
            services.store,
            services.bus,
            settings.data_path,
            allow_private=settings.push_allow_private_urls,
        ):
            try:
                yield
            finally:
                spec = services.registry.methods.get("PushSubscription/set")
                if spec is not None and isinstance(spec.handler, PushSubscriptionSet):
                    await spec.handler.verifier.close()

    return [delivering]
