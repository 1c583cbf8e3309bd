"""The EventSource endpoint (RFC 8620 section 7.3): a long `text/event-stream` response carrying
a `state` event for each change the user's accounts see, `ping` events when asked, and resumption
from `Last-Event-ID`. The framing is pure code in `satchel.push.eventsource`; this is the glue.

An idle connection is one coroutine waiting for the disconnect and a listener that calls back
when a change is pending, so ten thousand of them stay cheap. A client that stops reading blocks
only its own sender in uvicorn's flow control, and meanwhile its listener coalesces changes per
account, so it holds at most a transport buffer and one entry per account.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from satchel.http.authn import accounts_of, require_user
from satchel.http.limiter import ConcurrencyLimiter
from satchel.http.responses import HttpProblem
from satchel.push.bus import StateChange
from satchel.push.eventsource import (
    OPENING,
    BadParameters,
    StreamParameters,
    only_types,
    parse_parameters,
    ping_event,
    state_event,
)
from satchel.push.hub import QueueListener
from satchel.push.pushstate import (
    Floor,
    PushTracker,
    changes_since,
    current_modseqs,
    decode_push_state,
)
from satchel.push.types import pushable_types
from satchel.services import Services
from satchel.store.base import ReadTxn

HEADERS: Final = {
    "Content-Type": "text/event-stream",
    # Every event must reach the client at once: no caching, no proxy buffering (nginx).
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",
}
CONNECTIONS_LIMIT_NAME: Final = "maxPushConnections"
EVENTSOURCE_PATH: Final = "/jmap/eventsource/"


@dataclass(slots=True)
class PushEndpoints:
    """What the push endpoints (EventSource, WebSocket) of one application share: the
    services, the types a client may be pushed, and this process's per-user counters."""

    services: Services
    types: frozenset[str]
    connections: ConcurrencyLimiter
    # The API's per-user in-flight requests (WebSocket Requests count with HTTP POSTs).
    api_slots: ConcurrencyLimiter

    @classmethod
    def build(cls, services: Services, api_slots: ConcurrencyLimiter) -> PushEndpoints:
        limit = services.settings.push_max_connections_per_user
        return cls(
            services,
            pushable_types(services.registry),
            ConcurrencyLimiter(limit, CONNECTIONS_LIMIT_NAME),
            api_slots,
        )


async def eventsource(push: PushEndpoints, request: Request) -> Response:
    services = push.services
    user = await require_user(request, services)
    try:
        parameters = parse_parameters(request.query_params)
    except BadParameters as error:
        raise HttpProblem(400, str(error)) from None
    accounts = await accounts_of(services.store, user)
    slot = contextlib.ExitStack()
    slot.enter_context(push.connections.slot(user.id))  # 429 beyond the per-user cap
    return EventStream(
        push, parameters, [a.id for a in accounts], request.headers.get("last-event-id"), slot
    )


class EventStream(Response):
    """The streaming response. Not a StreamingResponse (a task group per connection): while idle
    the stream is only this coroutine waiting for the disconnect; a `Sender` task exists only
    while an event is being written."""

    def __init__(
        self,
        push: PushEndpoints,
        parameters: StreamParameters,
        account_ids: Sequence[str],
        last_event_id: str | None,
        slot: contextlib.ExitStack,
    ) -> None:
        super().__init__(status_code=200, headers=HEADERS)
        # An endless body has no length: chunked transfer encoding.
        self.raw_headers = [(k, v) for k, v in self.raw_headers if k != b"content-length"]
        self.push = push
        self.parameters = parameters
        self.account_ids = list(account_ids)
        self.last_event_id = last_event_id
        self.slot = slot

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        with self.slot:
            listener = self.push.services.bus.listen(self.account_ids)
            if not isinstance(listener, QueueListener):
                raise TypeError("the EventSource stream needs a Hub listener")
            try:
                await self._stream(listener, receive, send)
            finally:
                listener.close()

    async def _stream(self, listener: QueueListener, receive: Receive, send: Send) -> None:
        parameters = self.parameters
        types = self.push.types if parameters.types is None else self.push.types & parameters.types
        since = decode_push_state(self.last_event_id) if self.last_event_id else None
        account_ids = self.account_ids

        def read(txn: ReadTxn) -> tuple[dict[str, int], list[StateChange]]:
            now = current_modseqs(txn, account_ids)
            missed = [] if since is None else changes_since(txn, since, account_ids, types)
            return now, missed

        # The listener is registered first, so nothing committed from here on is lost.
        now, missed = await self.push.services.store.read(read)
        tracker = PushTracker(now)

        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        await _body(send, OPENING)
        if missed:  # section 7.3: changes missed since Last-Event-ID are sent on connection
            await _body(send, state_event(missed, tracker.token()))
            if parameters.close_after_state:
                await _body(send, b"", more=False)
                return

        sender = Sender(listener, send, parameters, Floor(now), tracker)
        sender.start()
        try:
            # Ends when the client leaves, or when the Sender completed the response (uvicorn
            # then answers http.disconnect): after closeafter=state, or when the bus stopped.
            while (await receive())["type"] != "http.disconnect":
                pass
        finally:
            sender.stop()


class Sender:
    """Writes what the listener has pending (and pings), one event at a time, from a task that
    exists only while there is something to write."""

    __slots__ = (
        "finished",
        "floor",
        "listener",
        "loop",
        "parameters",
        "ping_due",
        "send",
        "task",
        "timer",
        "tracker",
    )

    def __init__(
        self,
        listener: QueueListener,
        send: Send,
        parameters: StreamParameters,
        floor: Floor,
        tracker: PushTracker,
    ) -> None:
        self.listener = listener
        self.send = send
        self.parameters = parameters
        self.floor = floor
        self.tracker = tracker
        self.loop = asyncio.get_running_loop()
        self.task: asyncio.Task[None] | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.ping_due = False
        self.finished = False

    def start(self) -> None:
        self.listener.notify = self.wake
        self._arm()
        if self.listener.has_pending() or self.listener.closed:
            self.wake()

    def stop(self) -> None:
        self.finished = True
        self.listener.notify = None
        if self.timer is not None:
            self.timer.cancel()
        if self.task is not None:
            self.task.cancel()

    def _arm(self) -> None:
        """Section 7.3: a ping whenever the interval passed since the previous event."""
        if self.timer is not None:
            self.timer.cancel()
        if self.parameters.ping:
            self.timer = self.loop.call_later(self.parameters.ping, self._ping)

    def _ping(self) -> None:
        self.ping_due = True
        self.wake()

    def wake(self) -> None:
        if self.task is None and not self.finished:
            self.task = self.loop.create_task(self._write())

    async def _write(self) -> None:
        try:
            while not self.finished:
                if self.listener.has_pending():
                    batch = []
                    for change in self.listener.take_pending():
                        wanted = only_types(change, self.parameters.types)
                        wanted = None if wanted is None else self.floor.above(wanted)
                        if wanted is not None:
                            batch.append(wanted)
                            self.tracker.sent(wanted)
                    if not batch:
                        continue
                    await _body(self.send, state_event(batch, self.tracker.token()))
                    self._arm()
                    if self.parameters.close_after_state:
                        await self._finish()
                elif self.listener.closed:  # the bus stopped
                    await self._finish()
                elif self.ping_due:
                    self.ping_due = False
                    await _body(self.send, ping_event(self.parameters.ping))
                    self._arm()
                else:
                    return
        finally:
            self.task = None

    async def _finish(self) -> None:
        self.finished = True
        await _body(self.send, b"", more=False)


async def _body(send: Send, data: bytes, more: bool = True) -> None:
    await send({"type": "http.response.body", "body": data, "more_body": more})
