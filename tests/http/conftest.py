"""A real Satchel HTTP server for the tests: the real application on uvicorn (uvloop + httptools)
in a thread, listening on a free local port, over a real SQLite store in a temporary directory
with two users, alice and bob. Tests talk to it with httpx over TCP.

`make_server(...)` starts one with other limits or settings (trusted proxies, CORS origins...);
`server` is the default one.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from http_support import LiveServer, MakeServer, add_user
from live_server import serve_in_thread

from satchel.config import load_settings
from satchel.core.limits import CoreLimits
from satchel.http.app import create_app
from satchel.services import open_services


@pytest.fixture
def make_server(tmp_path: Path) -> Iterator[MakeServer]:
    running: list[tuple[uvicorn.Server, threading.Thread]] = []

    def make(limits: CoreLimits | None = None, **overrides: Any) -> LiveServer:
        data = tmp_path / f"data{len(running)}"
        settings = load_settings(
            str(data), overrides={"failed_login_delay": 0.0, **overrides}, environ={}
        )
        services = open_services(settings, limits or CoreLimits())
        store, limits, registry = services.store, services.limits, services.registry
        alice = add_user(store, "alice", "alice-secret-password")
        bob = add_user(store, "bob", "bob-secret-password")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        running.append(serve_in_thread(create_app(services), sock))
        return LiveServer(
            url=f"http://127.0.0.1:{port}",
            port=port,
            store=store,
            limits=limits,
            registry=registry,
            settings=settings,
            alice=alice,
            bob=bob,
        )

    yield make
    for server, thread in running:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def server(make_server: MakeServer) -> LiveServer:
    return make_server()
