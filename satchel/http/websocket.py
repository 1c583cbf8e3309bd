"""JMAP over WebSocket (RFC 8887) at `/jmap/ws/`: authentication and the `jmap` subprotocol at
the upgrade, then Requests answered through the same `core.engine.process` as HTTP POST (each in
its own task: section 4.3.2 lets the server answer out of order), and StateChange push once the
client sends WebSocketPushEnable. The messages are pure code in `satchel.push.websocket`.

The per-user limits are those of HTTP: `maxConcurrentRequests` counts requests in flight on
sockets and POSTs together (over it, a RequestError), `maxSizeRequest` bounds a frame. A client
that stops reading blocks only its own sends; its listener meanwhile coalesces per account.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Final

from starlette.responses import Response
from starlette.websockets import WebSocket, WebSocketDisconnect

from satchel.core import engine
from satchel.core.context import RequestContext
from satchel.core.errors import RequestError
from satchel.core.registry import Capability, Registry
from satchel.http.authn import accounts_of, credential_key, unauthorized
from satchel.http.eventsource import PushEndpoints
from satchel.http.responses import HttpProblem, http_problem_response, request_error_response
from satchel.push.bus import Listener, StateChange
from satchel.push.eventsource import only_types
from satchel.push.hub import pending_batch
from satchel.push.pushstate import (
    Floor,
    PushTracker,
    changes_since,
    current_modseqs,
    decode_push_state,
)
from satchel.push.websocket import (
    CAPABILITY,
    SUBPROTOCOL,
    BadFrame,
    PushDisable,
    PushEnable,
    WsRequest,
    parse_message,
    request_error_frame,
    response_frame,
    state_change_frame,
)
from satchel.store.base import ReadTxn, User

log = logging.getLogger("satchel.http")

WS_PATH: Final = "/jmap/ws/"


def register_websocket(registry: Registry) -> None:
    """Section 3: the capability; its `url` is added per request by the Session, which knows the
    address the client used (`satchel.core.session`)."""
    registry.add_capability(
        Capability(
            CAPABILITY,
            session_value=lambda: {"supportsPush": True},
            account_value=lambda account: None,
        )
    )


async def websocket_endpoint(push: PushEndpoints, websocket: WebSocket) -> None:
    services = push.services
    user = await services.authenticator.authenticate(websocket.headers.get("authorization"))
    if user is None:  # section 4.1: authenticated as the HTTP request that opens it
        await _deny(websocket, http_problem_response(unauthorized()))
        return
    if SUBPROTOCOL not in websocket.scope.get("subprotocols", ()):
        problem = HttpProblem(400, "the WebSocket subprotocol 'jmap' is required (RFC 8887)")
        await _deny(websocket, http_problem_response(problem))
        return
    slot = contextlib.ExitStack()
    try:
        slot.enter_context(push.connections.slot(user.id))
    except RequestError as error:
        await _deny(websocket, request_error_response(error))
        return
    with slot:
        await websocket.accept(subprotocol=SUBPROTOCOL)
        await Connection(push, websocket, user).run()


async def _deny(websocket: WebSocket, response: Response) -> None:
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(response)
    else:  # no denial extension: the server answers 403
        await websocket.close(code=1008)


class Connection:
    """One open socket: its in-flight requests and its push task."""

    def __init__(self, push: PushEndpoints, websocket: WebSocket, user: User) -> None:
        self.push = push
        self.websocket = websocket
        self.user = user
        self.authorization = websocket.headers.get("authorization")
        self.send_lock = asyncio.Lock()
        self.requests: set[asyncio.Task[None]] = set()
        self.pusher: asyncio.Task[None] | None = None

    async def run(self) -> None:
        try:
            while True:
                message = await self.websocket.receive()
                if message["type"] == "websocket.disconnect":
                    return
                frame = message.get("text")
                if frame is None:
                    frame = message.get("bytes") or b""
                await self.handle(frame)
        except WebSocketDisconnect:
            return
        finally:
            for task in [*self.requests, *([self.pusher] if self.pusher else [])]:
                task.cancel()
            for task in [*self.requests, *([self.pusher] if self.pusher else [])]:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def handle(self, frame: str | bytes) -> None:
        try:
            message = parse_message(frame, self.push.services.limits)
        except BadFrame as bad:
            await self.send(request_error_frame(bad.error, bad.request_id))
            return
        if isinstance(message, WsRequest):
            await self.check_credentials()
            slot = contextlib.ExitStack()
            try:
                slot.enter_context(self.push.api_slots.slot(self.user.id))
            except RequestError as error:
                await self.send(request_error_frame(error, message.request_id))
                return
            task = asyncio.create_task(self.answer(message))
            self.requests.add(task)
            task.add_done_callback(self.requests.discard)
            # Released however the task ends, even cancelled before it ever ran.
            task.add_done_callback(lambda _: slot.close())
        elif isinstance(message, PushEnable):
            self.stop_push()
            # Listening starts now, so any commit after this frame is pushed.
            accounts = await accounts_of(self.push.services.store, self.user)
            account_ids = [account.id for account in accounts]
            listener = self.push.services.bus.listen(account_ids)
            self.pusher = asyncio.create_task(self.push_changes(message, account_ids, listener))
            # Closed however the task ends, even cancelled before it ever ran.
            self.pusher.add_done_callback(lambda _: listener.close())
        elif isinstance(message, PushDisable):
            self.stop_push()

    async def check_credentials(self) -> None:
        """RFC 8887 section 4.1: the socket lives on the credentials that opened it; once they
        no longer authenticate (password changed, token revoked, user deleted) it is closed
        with 1008. Checked per Request (a cache hit, or one indexed read)."""
        user = await self.push.services.authenticator.authenticate(self.authorization)
        if user is not None and user.id == self.user.id:
            return
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):
            await self.websocket.close(code=1008, reason="the credentials are no longer valid")
        raise WebSocketDisconnect(code=1008)

    def stop_push(self) -> None:
        if self.pusher is not None:
            self.pusher.cancel()
            self.pusher = None

    async def answer(self, message: WsRequest) -> None:
        """Section 4.3.3: the Response, as HTTP POST would give it, with the request's id."""
        services = self.push.services
        accounts = await accounts_of(services.store, self.user)
        ctx = RequestContext(
            user=self.user,
            accounts={account.id: account for account in accounts},
            store=services.store,
            registry=services.registry,
            limits=services.limits,
            credential=credential_key(self.authorization),
        )
        try:
            response = await engine.process(ctx, message.request)
        except RequestError as error:
            frame = request_error_frame(error, message.request_id)
        except Exception:
            log.exception("unexpected error answering a WebSocket request")
            frame = request_error_frame(
                RequestError("serverFail", "an unexpected error occurred on the server", 500),
                message.request_id,
            )
        else:
            frame = response_frame(message.request_id, response)
        await self.send(frame)

    async def push_changes(
        self, enable: PushEnable, account_ids: list[str], listener: Listener
    ) -> None:
        """Section 4.3.5: StateChanges with a pushState; changes since the client's pushState
        first (it SHOULD get them immediately)."""
        services = self.push.services
        wanted = enable.data_types
        types = self.push.types if wanted is None else self.push.types & wanted
        since = decode_push_state(enable.push_state) if enable.push_state else None
        try:

            def read(txn: ReadTxn) -> tuple[dict[str, int], list[StateChange]]:
                now = current_modseqs(txn, account_ids)
                missed = [] if since is None else changes_since(txn, since, account_ids, types)
                return now, missed

            now, missed = await services.store.read(read)
            floor, tracker = Floor(now), PushTracker(now)
            if missed:
                await self.send(state_change_frame(missed, tracker.token()))
            await self._forward(listener, wanted, floor, tracker)
        finally:
            listener.close()

    async def _forward(
        self,
        listener: Listener,
        wanted: frozenset[str] | None,
        floor: Floor,
        tracker: PushTracker,
    ) -> None:
        async for first in listener:
            batch = []
            for change in pending_batch(listener, first):
                kept = only_types(change, wanted)
                kept = None if kept is None else floor.above(kept)
                if kept is not None:
                    batch.append(kept)
                    tracker.sent(kept)
            if batch:
                await self.send(state_change_frame(batch, tracker.token()))

    async def send(self, frame: bytes) -> None:
        async with self.send_lock:
            with contextlib.suppress(WebSocketDisconnect, RuntimeError):  # the client left
                await self.websocket.send_text(frame.decode())
