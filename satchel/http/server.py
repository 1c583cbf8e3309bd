"""Serving the application: uvicorn (uvloop + httptools, one send per response: `one_send.py`) in
one or several worker processes.

`run_server(settings)` is what `satchel serve` calls. With several workers uvicorn starts each
process from an import string, so the settings travel to them through an environment variable
(`SETTINGS_ENV`) that `app_from_env` reads. Forwarded headers are interpreted by us
(`baseurl.py`, only from trusted proxies), never by uvicorn.
"""

from __future__ import annotations

import os
from functools import partial

import msgspec
import uvicorn
from starlette.types import ASGIApp

from satchel.companions import background_companions
from satchel.config import Settings
from satchel.http.app import create_app
from satchel.http.one_send import OneSendHttpToolsProtocol
from satchel.services import open_services
from satchel.smtp.lmtp_server import lmtp_listening

SETTINGS_ENV = "SATCHEL_SERVE_SETTINGS_JSON"
APP_FACTORY = "satchel.http.server:app_from_env"
# Seconds in-flight requests get to finish after SIGTERM/SIGINT before connections are cut.
GRACEFUL_SHUTDOWN_SECONDS = 30


def parse_listen(listen: str) -> tuple[str, int]:
    """ "HOST:PORT", "[IPv6]:PORT" or ":PORT" (all interfaces) -> (host, port)."""
    host, sep, port_text = listen.strip().rpartition(":")
    if not sep or not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise ValueError(f"listen address {listen!r} is not HOST:PORT")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise ValueError(f"listen address {listen!r}: write an IPv6 host in brackets")
    return host or "0.0.0.0", int(port_text)


def app_from_env() -> ASGIApp:
    """The uvicorn factory each worker process calls: settings from `SETTINGS_ENV`."""
    raw = os.environ.get(SETTINGS_ENV)
    if raw is None:
        raise RuntimeError(f"{SETTINGS_ENV} is not set; start the server with `satchel serve`")
    settings = msgspec.json.decode(raw, type=Settings)
    services = open_services(settings)
    # LMTP runs in every worker next to HTTP (SO_REUSEPORT spreads TCP connections over them).
    return create_app(
        services,
        [partial(lmtp_listening, services.store, settings), *background_companions(services)],
    )


def run_server(settings: Settings) -> None:
    """Serve until SIGINT/SIGTERM, then finish in-flight requests and close the store."""
    host, port = parse_listen(settings.listen)
    if settings.workers < 1:
        raise ValueError("workers must be at least 1")
    os.environ[SETTINGS_ENV] = msgspec.json.encode(settings).decode()
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=settings.workers if settings.workers > 1 else None,
        loop="uvloop",
        http=OneSendHttpToolsProtocol,
        ws="websockets-sansio",
        lifespan="on",
        proxy_headers=False,
        server_header=False,
        access_log=False,
        log_level=settings.log_level.lower(),
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )
