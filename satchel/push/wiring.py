"""Putting the bus between the store and the push transports (owned by the push package).

`wire_push` is called by the composition root: it returns the store every writer must use (one
that publishes each commit on the bus) and the bus itself. Every process that opens the data
directory publishes (workers, `satchel deliver`, `satchel import`); a serving process also
receives, once `start_push` ran in its lifespan (`satchel.http.app`).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING, Any, Final

from satchel.config import Settings
from satchel.push.bus import StateBus
from satchel.push.hub import Hub
from satchel.push.publishing import PublishingStore
from satchel.push.types import pushable_filter
from satchel.push.unix_bus import SocketBus
from satchel.store.base import Store

if TYPE_CHECKING:
    from satchel.companions import Companion
    from satchel.services import Services

PUSH_DIR: Final = "push"


def wire_push(store: Store, settings: Settings) -> tuple[Store, StateBus]:
    bus = SocketBus(settings.data_path / PUSH_DIR)
    return PublishingStore(store, bus), bus


def publishing_store(store: Store, settings: Settings) -> Store:
    """The store for a process that writes but serves nothing (CLI commands)."""
    return wire_push(store, settings)[0]


async def start_push(services: Services) -> None:
    """Receive changes in this process from now on, limited to the types a client may see."""
    bus = services.bus
    if isinstance(bus, SocketBus):
        bus.hub.pushable = pushable_filter(services.registry)
        _end_streams_on_exit_signals(bus.hub)
    await bus.start()


def _end_streams_on_exit_signals(hub: Hub) -> None:
    """On SIGINT/SIGTERM uvicorn waits (up to its graceful timeout, 30 s) for in-flight
    responses before it shuts the application down, and an EventSource stream never ends by
    itself. So the server's handler is chained with one that closes every listener: streams
    complete their responses at once and clients reconnect elsewhere or later. Only the main
    thread may handle signals (test servers run in other threads and skip this)."""
    if threading.current_thread() is not threading.main_thread():
        return
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        previous = signal.getsignal(signum)
        if not callable(previous):
            continue  # the default or ignored: no server is waiting on this signal

        def close_then_chain(
            number: int,
            frame: FrameType | None,
            previous: Callable[[int, FrameType | None], Any] = previous,
        ) -> None:
            with contextlib.suppress(RuntimeError):  # the loop is already closed
                loop.call_soon_threadsafe(hub.close_all)
            previous(number, frame)

        signal.signal(signum, close_then_chain)


async def stop_push(services: Services) -> None:
    await services.bus.stop()


def push_companions(services: Services) -> list[Companion]:
    """None: the application's lifespan starts and stops the bus itself (`start_push`), so the
    tests' servers, which run no companions, receive changes too."""
    return []
