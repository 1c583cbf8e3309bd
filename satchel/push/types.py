"""Which type names a StateChange may carry (RFC 8620 section 7.1: the keys of a TypeState are
type names whose value is "the state property that would currently be returned by a call to
Foo/get"), so only types with a Foo/get, plus RFC 8621 section 1.5's push-only EmailDelivery.
PushSubscription/get has no state (section 7.2.1): it is never pushed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from satchel.core.registry import Registry

MAIL_CAPABILITY: Final = "urn:ietf:params:jmap:mail"
EMAIL_DELIVERY: Final = "EmailDelivery"
NEVER_PUSHED: Final = frozenset({"PushSubscription"})


def pushable_types(registry: Registry) -> frozenset[str]:
    names = {
        method.removesuffix("/get")
        for method in registry.methods
        if method.endswith("/get") and "/" not in method.removesuffix("/get")
    }
    if MAIL_CAPABILITY in registry.capabilities:
        names.add(EMAIL_DELIVERY)
    return frozenset(names - NEVER_PUSHED)


def pushable_filter(registry: Registry) -> Callable[[str], bool]:
    return pushable_types(registry).__contains__
