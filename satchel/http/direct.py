"""The busiest resources, answered ahead of Starlette.

The Session, the API and the event source are what every client hits on every request (or holds
open for hours). Answering them here, with CORS and the last-resort handler only, skips
Starlette's entry, its exception middleware, the router, the route and the request wrappers: a
measurable share of a small API request, and a few kilobytes of call chain held by every idle
event stream. `DirectRoutes` is the outermost application; everything else (lifespan events,
upload, download, WebSocket, unknown paths) goes on to Starlette as before.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from satchel.http.cors import CorsMiddleware
from satchel.http.errors import LastResortMiddleware, known_error_response
from satchel.http.responses import HttpProblem, http_problem_response

Endpoint = Callable[[Request], Awaitable[Response]]


class DirectRoute:
    """One resource: the methods it answers and its endpoint."""

    __slots__ = ("allow", "endpoint", "methods")

    def __init__(self, methods: Collection[str], endpoint: Endpoint) -> None:
        self.methods = frozenset(methods)
        self.allow = {"Allow": ", ".join(sorted(self.methods))}
        self.endpoint = endpoint


class DirectRoutes:
    """ASGI middleware answering `routes` (exact paths) itself and passing the rest on."""

    def __init__(
        self, app: ASGIApp, routes: Mapping[str, DirectRoute], origins: Sequence[str]
    ) -> None:
        self.app = app
        self.routes = dict(routes)
        self.direct_app = CorsMiddleware(LastResortMiddleware(self._serve), origins=origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] in self.routes:
            await self.direct_app(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = self.routes[scope["path"]]
        if scope["method"] in route.methods:
            response = await _respond(route.endpoint, Request(scope, receive))
        else:
            problem = HttpProblem(405, "method not allowed on this resource", headers=route.allow)
            response = http_problem_response(problem)
        await response(scope, receive, send)


async def _respond(endpoint: Endpoint, request: Request) -> Response:
    """The endpoint's response, or the problem+json one for the failures the router's
    exception handlers would have answered."""
    try:
        return await endpoint(request)
    except Exception as exc:
        response = known_error_response(exc)
        if response is None:
            raise
        return response
