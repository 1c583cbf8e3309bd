"""The EventSource endpoint (RFC 8620 section 7.3): a long `text/event-stream` response carrying
a `state` event for each change the user's accounts see, `ping` events when asked, and resumption
from `Last-Event-ID`. The framing is pure code in `satchel.push.eventsource`; this is the glue.

An idle connection is one coroutine and two waiting tasks (the next change, the disconnect), so
ten thousand of them stay cheap. A client that stops reading blocks only its own coroutine in
uvicorn's flow control, and meanwhile its listener coalesces changes per account, so it holds at
most a transport buffer and one entry per account.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from satchel.http.authn import accounts_of, require_user
from satchel.http.limiter import ConcurrencyLimiter
from satchel.http.responses import HttpProblem
from satchel.push.bus import Listener, StateChange
from satchel.push.eventsource import (
    OPENING,
    BadParameters,
    StreamParameters,
    only_types,
    parse_parameters,
    ping_event,
    state_event,
)
from satchel.push.hub import pending_batch
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
    """The streaming response. Not a StreamingResponse: that one runs a task group per
    connection; this awaits the listener and the disconnect directly."""

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
            try:
                await self._stream(listener, receive, send)
            finally:
                listener.close()

    async def _stream(self, listener: Listener, receive: Receive, send: Send) -> None:
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
        floor, tracker = Floor(now), PushTracker(now)

        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        await _body(send, OPENING)
        if missed:  # section 7.3: changes missed since Last-Event-ID are sent on connection
            await _body(send, state_event(missed, tracker.token()))
            if parameters.close_after_state:
                await _body(send, b"", more=False)
                return

        disconnected = asyncio.ensure_future(_disconnect(receive))
        changes = aiter(listener)
        upcoming: asyncio.Future[StateChange] | None = None
        last_event = time.monotonic()
        try:
            while True:
                if upcoming is None:
                    upcoming = asyncio.ensure_future(anext(changes))
                timeout = None
                if parameters.ping:
                    timeout = max(0.0, last_event + parameters.ping - time.monotonic())
                done, _ = await asyncio.wait(
                    (upcoming, disconnected),
                    timeout=timeout,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                if disconnected in done:
                    return
                if upcoming in done:
                    finished, upcoming = upcoming, None
                    if finished.exception() is not None:  # StopAsyncIteration: the bus stopped
                        break
                    batch = []
                    for change in pending_batch(listener, finished.result()):
                        wanted = only_types(change, parameters.types)
                        wanted = None if wanted is None else floor.above(wanted)
                        if wanted is not None:
                            batch.append(wanted)
                            tracker.sent(wanted)
                    if not batch:
                        continue
                    await _body(send, state_event(batch, tracker.token()))
                    last_event = time.monotonic()
                    if parameters.close_after_state:
                        break
                elif parameters.ping:
                    await _body(send, ping_event(parameters.ping))
                    last_event = time.monotonic()
            await _body(send, b"", more=False)
        finally:
            disconnected.cancel()
            if upcoming is not None:
                upcoming.cancel()


async def _body(send: Send, data: bytes, more: bool = True) -> None:
    await send({"type": "http.response.body", "body": data, "more_body": more})


async def _disconnect(receive: Receive) -> None:
    """Returns when the client has gone (a GET has no body to read before that)."""
    while (await receive())["type"] != "http.disconnect":
        pass
