"""The Session resource (RFC 8620 section 2) and the API endpoint (section 3.1).

`GET /.well-known/jmap` (section 2.2, autodiscovery) and `GET` on the apiUrl return the Session;
`POST` on the apiUrl runs a Request through `core.engine.process`, which knows nothing of HTTP.
"""

from __future__ import annotations

import time

import orjson
from starlette.requests import Request
from starlette.responses import Response

from satchel.core import engine
from satchel.core.context import RequestContext
from satchel.core.errors import not_json
from satchel.core.request import parse_request
from satchel.core.session import build_session
from satchel.http.authn import accounts_of, base_url, credential_key, require_user
from satchel.http.body import check_declared_length, read_capped
from satchel.http.responses import JsonResponse
from satchel.http.state import SESSIONS_KEPT, HttpState
from satchel.store.on_loop import allow_on_loop

# The Session changes whenever accounts or capabilities do; clients must refetch, not cache it.
SESSION_HEADERS = {"Cache-Control": "no-cache, no-store, must-revalidate"}


async def session(state: HttpState, request: Request) -> Response:
    services = state.services
    user = await require_user(request, services)
    base = base_url(request, services)
    accounts = await accounts_of(services.store, user)
    # A capability may advertise the current time (FUTURERELEASE's latest release date, to the
    # second), so a remembered Session serves only within the second it was built in.
    key, second = (user, tuple(accounts), base), int(time.time())
    cached = state.sessions.get(key)
    if cached is not None and cached[0] == second:
        body = cached[1]
    else:
        if len(state.sessions) >= SESSIONS_KEPT:
            state.sessions.clear()
        session_object = build_session(services.registry, services.limits, user, accounts, base)
        body = orjson.dumps(session_object)
        state.sessions[key] = (second, body)
    return Response(body, media_type="application/json", headers=SESSION_HEADERS)


def check_json_content_type(request: Request) -> None:
    """RFC 8620 section 3.1: the request MUST be `application/json`; section 3.6.1 names the
    error for anything else notJSON. Parameters are allowed, but I-JSON is UTF-8 (RFC 7493
    section 2.1), so a charset other than UTF-8 is refused too."""
    raw = request.headers.get("content-type", "")
    media_type, *params = (part.strip() for part in raw.split(";"))
    if media_type.lower() != "application/json":
        raise not_json("the request Content-Type must be application/json")
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in (
            "utf-8",
            "utf8",
        ):
            raise not_json("the request body must be UTF-8 JSON")


async def api(state: HttpState, request: Request) -> Response:
    services = state.services
    limits = services.limits
    user = await require_user(request, services)
    # RFC 8620 section 2: maxConcurrentRequests is per user; the slot covers the body upload too.
    with state.api_slots.slot(user.id):
        allow_on_loop(state.api_slots.alone)
        check_declared_length(request, limits.max_size_request, "maxSizeRequest")
        check_json_content_type(request)
        body = await read_capped(request, limits.max_size_request, "maxSizeRequest")
        jmap_request = parse_request(body, limits)
        accounts = await accounts_of(services.store, user)
        ctx = RequestContext(
            user=user,
            accounts={account.id: account for account in accounts},
            store=services.store,
            registry=services.registry,
            limits=limits,
            credential=credential_key(request.headers.get("authorization")),
        )
        response = await engine.process(ctx, jmap_request)
    return JsonResponse(response)


async def api_resource(state: HttpState, request: Request) -> Response:
    """The apiUrl: POST runs the API, GET (and HEAD) returns the Session (CONTRACT point 1)."""
    if request.method == "POST":
        return await api(state, request)
    return await session(state, request)
