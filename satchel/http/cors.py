"""CORS (Fetch standard), so browser clients can use the API from another origin.

CONTRACT point 12: a preflight `OPTIONS` is answered 204 without authentication (browsers never
send credentials on a preflight). Normal responses carry the same `Access-Control-Allow-Origin`
and expose the headers a client reads (Content-Disposition, WWW-Authenticate, ...).

A request without `Origin` is not a CORS request, and its answer needs the headers only if a
cache could hand it to one later. So, when any origin is allowed, a response that no cache may
reuse (to anything but GET or HEAD, or marked no-store/no-cache) goes to such a request without
them: two header lines fewer for every native client to parse on every API call.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ALLOW_METHODS = "GET, POST, OPTIONS"
ALLOW_HEADERS = "Authorization, Content-Type, Accept, Last-Event-ID"
EXPOSE_HEADERS = (
    "Content-Disposition, Content-Length, Content-Range, ETag, WWW-Authenticate, Retry-After"
)
MAX_AGE = "86400"


def _origin(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"origin":
            return str(value.decode("latin-1"))
    return None


def _raw(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]


def _reusable(start: Message) -> bool:
    """Whether a cache may hand this response to a later request without asking us."""
    for name, value in start.get("headers", ()):
        if name.lower() == b"cache-control":
            directives = value.lower()
            return b"no-store" not in directives and b"no-cache" not in directives
    return True


class CorsMiddleware:
    def __init__(self, app: ASGIApp, origins: Sequence[str]) -> None:
        self.app = app
        self.any_origin = "*" in origins
        self.origins = frozenset(origins)

    def _allow_origin(self, origin: str | None) -> str | None:
        if self.any_origin:
            return "*"
        if origin is not None and origin in self.origins:
            return origin
        return None

    def _headers(self, origin: str | None) -> dict[str, str]:
        headers: dict[str, str] = {}
        allowed = self._allow_origin(origin)
        if allowed is not None:
            headers["Access-Control-Allow-Origin"] = allowed
        if not self.any_origin:
            headers["Vary"] = "Origin"
        return headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        origin = _origin(scope)
        if scope["method"] == "OPTIONS":
            await self._preflight(origin, send)
            return
        # Not a CORS request: the headers go only on an answer a cache might give to one.
        optional = origin is None and self.any_origin
        if optional and scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        extra = self._headers(origin)
        if "Access-Control-Allow-Origin" in extra:
            extra["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
        vary = extra.pop("Vary", None)
        raw = _raw(extra)

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                if optional and not _reusable(message):
                    await send(message)
                    return
                message["headers"] = [*message.get("headers", ()), *raw]
                if vary is not None:
                    MutableHeaders(scope=message).add_vary_header(vary)
            await send(message)

        await self.app(scope, receive, send_with_cors)

    async def _preflight(self, origin: str | None, send: Send) -> None:
        headers = self._headers(origin)
        if "Access-Control-Allow-Origin" in headers:
            headers["Access-Control-Allow-Methods"] = ALLOW_METHODS
            headers["Access-Control-Allow-Headers"] = ALLOW_HEADERS
            headers["Access-Control-Max-Age"] = MAX_AGE
        headers["Allow"] = ALLOW_METHODS
        await send({"type": "http.response.start", "status": 204, "headers": _raw(headers)})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
