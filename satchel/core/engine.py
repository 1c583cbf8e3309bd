"""The JMAP API as one function (RFC 8620 section 3): `process(ctx, request)` checks the request's
capabilities, runs each method call in order through the registry, resolves result references
between them and turns every failure of one call into that call's error response.

HTTP POST and WebSocket both call it; there are no headers or status codes here.

Calls from concurrent requests run concurrently, writers too: every method does its
state-dependent work (ifInState, existence, counters) inside one store write transaction, and the
store orders those transactions, within a process and across processes alike. Concurrent writes
to one account are what lets the store commit them together.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from satchel.core.context import RequestContext
from satchel.core.errors import MethodError, unknown_capability
from satchel.core.refs import resolve_arguments
from satchel.core.request import Invocation, Request
from satchel.core.session import session_state

log = logging.getLogger(__name__)


async def process(ctx: RequestContext, request: Request) -> dict[str, Any]:
    """Run every method call in order (RFC 8620 section 3.3) and return the Response object:
    {"methodResponses": [...], "sessionState": ..., "createdIds"?: {...}}.

    Raises RequestError only for problems found before any call runs (unknown capability)."""
    # RFC 8620 section 3.6.1: unknownCapability rejects the request before anything runs.
    unknown = [uri for uri in request.using if uri not in ctx.registry.capabilities]
    if unknown:
        raise unknown_capability(
            "the request uses capabilities this server does not support: " + ", ".join(unknown)
        )
    ctx.using = frozenset(request.using)
    # RFC 8620 section 3.3: createdIds seeds the creation-id map and is returned, final, only
    # when the request carried it.
    if request.created_ids is not None:
        ctx.created_ids = dict(request.created_ids)

    responses: list[list[Any]] = []
    for call in request.method_calls:
        responses.extend(await _run_call(ctx, call, responses))

    response: dict[str, Any] = {
        "methodResponses": responses,
        "sessionState": session_state(
            ctx.registry, ctx.limits, ctx.user, list(ctx.accounts.values())
        ),
    }
    if request.created_ids is not None:
        response["createdIds"] = dict(ctx.created_ids)
    return response


async def _run_call(
    ctx: RequestContext, call: Invocation, responses: list[list[Any]]
) -> list[list[Any]]:
    """The responses to one call, each tagged with its call id; an error is one response."""
    try:
        spec = ctx.registry.methods.get(call.name)
        # RFC 8620 section 3.6.2: an unknown method, or one whose capability the request did
        # not opt in to with `using` (section 3.3), is unknownMethod.
        if spec is None:
            raise MethodError("unknownMethod", f"no method {call.name!r}")
        if spec.capability not in ctx.using:
            raise MethodError(
                "unknownMethod",
                f"{call.name} needs {spec.capability!r} in the request's 'using'",
            )
        # RFC 8620 section 3.7: references resolve against earlier responses of this request.
        arguments = resolve_arguments(call.arguments, responses)
        results = await spec.handler(ctx, arguments)
        return [_tagged(name, args, call.call_id) for name, args in results]
    except MethodError as error:
        return [["error", error.to_json(), call.call_id]]
    except Exception:
        # RFC 8620 section 3.6.2: serverFail for this call only; the request goes on.
        incident = uuid.uuid4().hex[:12]
        log.exception("method %s (call %r) failed, incident %s", call.name, call.call_id, incident)
        description = f"unexpected server error in {call.name} (incident {incident})"
        return [["error", {"type": "serverFail", "description": description}, call.call_id]]


def _tagged(name: Any, args: Any, call_id: str) -> list[Any]:
    if not isinstance(name, str) or not isinstance(args, dict):
        raise TypeError(f"a handler returned a malformed response: {name!r}")
    return [name, args, call_id]
