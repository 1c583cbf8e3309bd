"""The Request envelope (RFC 8620 section 3.3): decode it and check it against the type signature
before any method runs, so that a malformed request is one RequestError, never a traceback.

Only the envelope is checked here (`using`, `methodCalls`, `createdIds`); each method validates its
own arguments. Unknown top-level properties are ignored (RFC 8620 section 3.3, last paragraph).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from satchel.core.errors import limit_error, not_json, not_request
from satchel.core.limits import CoreLimits


@dataclass(frozen=True, slots=True)
class Invocation:
    name: str
    arguments: dict[str, Any]
    call_id: str


@dataclass(frozen=True, slots=True)
class Request:
    using: tuple[str, ...]
    method_calls: tuple[Invocation, ...]
    created_ids: dict[str, str] | None


def parse_request(body: bytes, limits: CoreLimits) -> Request:
    """Parse an HTTP body. Raises RequestError: notJSON, notRequest, limit (maxSizeRequest with
    status 413, maxCallsInRequest)."""
    # RFC 8620 section 2: maxSizeRequest, checked before spending any time decoding.
    if len(body) > limits.max_size_request:
        raise limit_error(
            "maxSizeRequest",
            f"the request is {len(body)} octets; the limit is {limits.max_size_request}",
            status=413,
        )
    # RFC 8620 section 3.6.1: notJSON. orjson accepts only UTF-8 and rejects NaN, lone
    # surrogates and nesting deeper than it supports, which I-JSON (RFC 7493) excludes too.
    try:
        obj = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise not_json(f"the request is not valid UTF-8 JSON: {exc}") from None
    return request_from_object(obj, limits)


def request_from_object(obj: Any, limits: CoreLimits) -> Request:
    """Validate an already-decoded Request object (the WebSocket path)."""
    if not isinstance(obj, dict):
        raise not_request(f"the request must be a JSON object, not {_json_type(obj)}")
    using = _parse_using(obj)
    method_calls = _parse_method_calls(obj, limits)
    created_ids = _parse_created_ids(obj)
    return Request(using=using, method_calls=method_calls, created_ids=created_ids)


def _parse_using(obj: dict[str, Any]) -> tuple[str, ...]:
    if "using" not in obj:
        raise not_request("the request has no 'using' property")
    using = obj["using"]
    if not isinstance(using, list):
        raise not_request(f"'using' must be an array of strings, not {_json_type(using)}")
    for index, item in enumerate(using):
        if not isinstance(item, str):
            raise not_request(f"'using'[{index}] must be a string, not {_json_type(item)}")
    return tuple(using)


def _parse_method_calls(obj: dict[str, Any], limits: CoreLimits) -> tuple[Invocation, ...]:
    if "methodCalls" not in obj:
        raise not_request("the request has no 'methodCalls' property")
    calls = obj["methodCalls"]
    if not isinstance(calls, list):
        raise not_request(f"'methodCalls' must be an array, not {_json_type(calls)}")
    # RFC 8620 section 2: maxCallsInRequest is a request-level limit (section 3.6.1).
    if len(calls) > limits.max_calls_in_request:
        raise limit_error(
            "maxCallsInRequest",
            f"the request has {len(calls)} method calls; the limit is "
            f"{limits.max_calls_in_request}",
        )
    return tuple(_parse_invocation(index, call) for index, call in enumerate(calls))


def _parse_invocation(index: int, call: Any) -> Invocation:
    # RFC 8620 section 3.2: an Invocation is [String name, String[*] arguments, String id].
    where = f"'methodCalls'[{index}]"
    if not isinstance(call, list) or len(call) != 3:
        shape = f"an array of {len(call)} elements" if isinstance(call, list) else _json_type(call)
        raise not_request(f"{where} must be a [name, arguments, callId] triple, not {shape}")
    name, arguments, call_id = call
    if not isinstance(name, str):
        raise not_request(f"{where}: the method name must be a string, not {_json_type(name)}")
    if not isinstance(arguments, dict):
        raise not_request(f"{where}: the arguments must be an object, not {_json_type(arguments)}")
    if not isinstance(call_id, str):
        raise not_request(f"{where}: the call id must be a string, not {_json_type(call_id)}")
    return Invocation(name=name, arguments=arguments, call_id=call_id)


def _parse_created_ids(obj: dict[str, Any]) -> dict[str, str] | None:
    # RFC 8620 section 3.3: createdIds is optional; null is read as absent.
    created_ids = obj.get("createdIds")
    if created_ids is None:
        return None
    if not isinstance(created_ids, dict):
        raise not_request(
            f"'createdIds' must be an object mapping ids to ids, not {_json_type(created_ids)}"
        )
    for key, value in created_ids.items():
        if not isinstance(value, str):
            raise not_request(f"'createdIds'[{key!r}] must be a string, not {_json_type(value)}")
    return dict(created_ids)


def _json_type(value: object) -> str:
    """The JSON name of a decoded value's type, for error details."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
