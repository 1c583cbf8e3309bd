"""Turning every failure into problem+json: JMAP request errors, our own HttpProblem, routing
errors (404/405), a client that went away, and, last of all, genuine bugs (500 serverFail, logged
with their traceback). No response ever leaves as a bare traceback or an HTML error page.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from satchel.core.errors import RequestError
from satchel.http.responses import (
    PROBLEM_MEDIA_TYPE,
    HttpProblem,
    http_problem_response,
    request_error_response,
    server_fail_body,
)

log = logging.getLogger("satchel.http")


def known_error_response(exc: Exception) -> Response | None:
    """The problem+json response for a failure that ends a request normally, else None."""
    if isinstance(exc, RequestError):
        return request_error_response(exc)
    if isinstance(exc, HttpProblem):
        return http_problem_response(exc)
    if isinstance(exc, ClientDisconnect):
        # Nobody will read this: the client closed the connection while sending its body.
        return http_problem_response(HttpProblem(400, "the client disconnected"))
    return None


async def on_known_error(request: Request, exc: Exception) -> Response:
    response = known_error_response(exc)
    assert response is not None
    return response


async def on_starlette_http_exception(request: Request, exc: Exception) -> Response:
    """Routing errors: unknown path (404), wrong method (405, with its Allow header)."""
    assert isinstance(exc, HTTPException)
    detail = {404: "no such resource", 405: "method not allowed on this resource"}.get(
        exc.status_code, exc.detail
    )
    return http_problem_response(HttpProblem(exc.status_code, detail, headers=exc.headers))


EXCEPTION_HANDLERS: dict[Any, Any] = {
    RequestError: on_known_error,
    HttpProblem: on_known_error,
    HTTPException: on_starlette_http_exception,
    ClientDisconnect: on_known_error,
}


class LastResortMiddleware:
    """Catches what nothing else did: logs it and answers 500 serverFail (RFC 8620 section 3.6.2
    names serverFail for unexpected errors) if no response has started yet."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            log.exception("unexpected error handling %s %s", scope["method"], scope["path"])
            if started:
                return  # the server closes the half-sent response's connection
            body = orjson.dumps(server_fail_body("an unexpected error occurred on the server"))
            await send(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [
                        (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body, "more_body": False})
