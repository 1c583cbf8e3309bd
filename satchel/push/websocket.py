"""JMAP over WebSocket (RFC 8887) messages as pure code: what a client frame is (a Request, a
WebSocketPushEnable or a WebSocketPushDisable), and the server's Response, RequestError and
StateChange frames. The socket glue is `satchel.http.websocket`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

import orjson

from satchel.core.errors import RequestError, limit_error, not_json, not_request
from satchel.core.limits import CoreLimits
from satchel.core.request import Request, request_from_object
from satchel.push.bus import StateChange
from satchel.push.eventsource import state_change_object

CAPABILITY: Final = "urn:ietf:params:jmap:websocket"
SUBPROTOCOL: Final = "jmap"  # RFC 8887 section 4.2


@dataclass(frozen=True, slots=True)
class WsRequest:
    """Section 4.3.2: a JMAP Request with "@type": "Request" and an optional client id."""

    request_id: str | None
    request: Request


@dataclass(frozen=True, slots=True)
class PushEnable:
    """Section 4.3.5.2: push for these types (None: every type), resuming from `push_state`."""

    data_types: frozenset[str] | None
    push_state: str | None


@dataclass(frozen=True, slots=True)
class PushDisable:
    """Section 4.3.5.3."""


ClientMessage = WsRequest | PushEnable | PushDisable


class BadFrame(Exception):
    """A frame answered with a RequestError (section 4.3.4); `request_id` once it was read."""

    def __init__(self, error: RequestError, request_id: str | None = None) -> None:
        super().__init__(error.detail)
        self.error = error
        self.request_id = request_id


def parse_message(frame: str | bytes, limits: CoreLimits) -> ClientMessage:
    """One client frame. Section 4.3.1: every message is a JSON object with "@type"."""
    raw = frame.encode() if isinstance(frame, str) else frame
    if len(raw) > limits.max_size_request:
        raise BadFrame(
            limit_error("maxSizeRequest", f"the message is over {limits.max_size_request} bytes")
        )
    try:
        message = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise BadFrame(not_json(f"the message is not valid UTF-8 JSON: {error}")) from None
    if not isinstance(message, dict):
        raise BadFrame(not_request("a message must be a JSON object"))
    kind = message.get("@type")
    if kind == "Request":
        request_id = message.get("id")
        if request_id is not None and not isinstance(request_id, str):
            raise BadFrame(not_request("a Request's id must be a String"))
        try:
            return WsRequest(request_id, request_from_object(message, limits))
        except RequestError as error:
            raise BadFrame(error, request_id) from None
    if kind == "WebSocketPushEnable":
        return _push_enable(message)
    if kind == "WebSocketPushDisable":
        return PushDisable()
    raise BadFrame(
        not_request("@type must be Request, WebSocketPushEnable or WebSocketPushDisable")
    )


def _push_enable(message: dict[str, Any]) -> PushEnable:
    data_types = message.get("dataTypes")
    if data_types is not None and (
        not isinstance(data_types, list) or not all(isinstance(t, str) for t in data_types)
    ):
        raise BadFrame(not_request("dataTypes must be an array of type names or null"))
    push_state = message.get("pushState")
    if push_state is not None and not isinstance(push_state, str):
        raise BadFrame(not_request("pushState must be a String"))
    return PushEnable(None if data_types is None else frozenset(data_types), push_state)


def response_frame(request_id: str | None, response: dict[str, Any]) -> bytes:
    """Section 4.3.3: the JMAP Response with "@type" and the request's id echoed."""
    frame: dict[str, Any] = {"@type": "Response"}
    if request_id is not None:
        frame["requestId"] = request_id
    frame.update(response)
    return orjson.dumps(frame)


def request_error_frame(error: RequestError, request_id: str | None) -> bytes:
    """Section 4.3.4: the problem details of RFC 8620 section 3.6.1 with "@type"."""
    frame: dict[str, Any] = {"@type": "RequestError"}
    if request_id is not None:
        frame["requestId"] = request_id
    frame.update(error.to_json())
    return orjson.dumps(frame)


def state_change_frame(changes: Iterable[StateChange], push_state: str) -> bytes:
    """Section 4.3.5.1: a StateChange with the pushState to resume from."""
    return orjson.dumps({**state_change_object(changes), "pushState": push_state})
