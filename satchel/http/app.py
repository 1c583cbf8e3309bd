"""The ASGI application: routes, middleware, error handlers and the background blob sweeper.

Routes (RFC 8620): `/.well-known/jmap` (section 2.2) and `GET /jmap/api/` give the Session,
`POST /jmap/api/` the API (section 3.1), `/jmap/upload/{accountId}/` (6.1) and
`/jmap/download/{accountId}/{blobId}/{name}` (6.2), `/jmap/eventsource/` (7.3); `/jmap/ws/` is
JMAP over WebSocket (RFC 8887).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from functools import partial

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp

from satchel.http import api, download, upload
from satchel.http.cors import CorsMiddleware
from satchel.http.direct import DirectRoute, DirectRoutes
from satchel.http.errors import EXCEPTION_HANDLERS, LastResortMiddleware
from satchel.http.eventsource import EVENTSOURCE_PATH, PushEndpoints, eventsource
from satchel.http.expiry import expiry_loop
from satchel.http.state import HttpState
from satchel.http.websocket import WS_PATH, register_websocket, websocket_endpoint
from satchel.push.wiring import start_push, stop_push
from satchel.services import Services

SESSION_PATH = "/.well-known/jmap"
API_PATH = "/jmap/api/"
UPLOAD_PATH = "/jmap/upload/{accountId}/"
DOWNLOAD_PATH = "/jmap/download/{accountId}/{blobId}/{name:path}"


def create_app(
    services: Services,
    companions: Sequence[Callable[[], contextlib.AbstractAsyncContextManager[object]]] = (),
) -> ASGIApp:
    """The application serving `services`. It owns them from now on: the store is closed when
    the application shuts down. `companions` run for the application's lifetime in the same
    process (e.g. the LMTP listener `satchel serve` adds) and stop before the store closes."""
    register_websocket(services.registry)
    state = HttpState.build(services)
    push = PushEndpoints.build(services, state.api_slots)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        sweeper = asyncio.create_task(expiry_loop(services.store))
        await start_push(services)
        try:
            async with contextlib.AsyncExitStack() as stack:
                for companion in companions:
                    await stack.enter_async_context(companion())
                yield
        finally:
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper
            await stop_push(services)
            await services.store.close()

    direct = {
        SESSION_PATH: DirectRoute(["GET", "HEAD"], partial(api.session, state)),
        API_PATH: DirectRoute(["GET", "HEAD", "POST"], partial(api.api_resource, state)),
        EVENTSOURCE_PATH: DirectRoute(["GET"], partial(eventsource, push)),
    }
    # Also in the router, which only sees them misspelt: it redirects "/jmap/api" to "/jmap/api/".
    routes = [
        *(
            Route(path, route.endpoint, methods=list(route.methods))
            for path, route in direct.items()
        ),
        Route(UPLOAD_PATH, partial(upload.upload, state), methods=["POST"]),
        Route(DOWNLOAD_PATH, partial(download.download, state), methods=["GET"]),
        WebSocketRoute(WS_PATH, partial(websocket_endpoint, push)),
    ]
    middleware = [
        # Outermost first: CORS headers go on every answer, the last-resort 500 included.
        Middleware(CorsMiddleware, origins=services.settings.cors_origins),
        Middleware(LastResortMiddleware),
    ]
    starlette = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=lifespan,
    )
    # The Session, the API and the event source are answered ahead of Starlette itself, with
    # their own CORS and last-resort handling (see direct.py); lifespan events pass through.
    return DirectRoutes(starlette, routes=direct, origins=services.settings.cors_origins)
