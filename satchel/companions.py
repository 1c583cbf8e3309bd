"""Background work that runs for a serving process's lifetime next to HTTP: each companion is an
async context manager factory, entered at startup and exited before the store closes."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from satchel.services import Services

Companion = Callable[[], contextlib.AbstractAsyncContextManager[object]]


def background_companions(services: Services) -> list[Companion]:
    """Every companion a server process runs besides its listeners (LMTP is added by the server)."""
    from satchel.mail.text_index_upkeep import text_index_upkeep
    from satchel.push.subscriptions import subscription_companions
    from satchel.push.wiring import push_companions
    from satchel.smtp.outbound import outbound_companions

    return [
        *push_companions(services),
        *subscription_companions(services),
        *outbound_companions(services),
        partial(text_index_upkeep, services.store),
    ]
