"""Fixtures for the PushSubscription tests: a fake push service on a real socket, a Web Push
subscriber, and `make_push_server`: the real application on uvicorn (as `tests/http` runs it)
with the push companions running (the bus and the subscription dispatcher), over a real SQLite
store with two users, alice and bob."""

from __future__ import annotations

import socket
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "http"))

from http_support import HttpUser, add_user
from live_server import serve_in_thread
from pushsub_support import Jmap, PushService, Subscriber

from satchel.config import load_settings
from satchel.http.app import create_app
from satchel.push.subscriptions import subscription_companions
from satchel.push.wiring import push_companions
from satchel.services import Services, open_services


@dataclass
class PushServer:
    url: str
    services: Services
    alice: HttpUser
    bob: HttpUser
    uvicorn_server: uvicorn.Server
    thread: threading.Thread
    clients: list[Jmap] = field(default_factory=list)

    def jmap(self, user: HttpUser) -> Jmap:
        """A client for the user, closed when the server stops."""
        client = Jmap(self.url, user.basic)
        self.clients.append(client)
        return client

    def stop(self) -> None:
        """Shut down as `satchel serve` does (companions exit, the store closes)."""
        for client in self.clients:
            client.close()
        self.uvicorn_server.should_exit = True
        self.thread.join(timeout=10)


MakePushServer = Callable[..., PushServer]


@pytest.fixture
def push_service() -> Iterator[PushService]:
    service = PushService()
    yield service
    service.close()


@pytest.fixture
def subscriber() -> Subscriber:
    return Subscriber()


@pytest.fixture
def make_push_server(tmp_path: Path) -> Iterator[MakePushServer]:
    """`make_push_server(data="data", **settings)`: another call with the same `data` is a
    second server (or, after `stop()`, a restart) on the same data directory and users."""
    running: list[PushServer] = []
    users: dict[str, dict[str, HttpUser]] = {}

    def make(data: str = "data", **overrides: Any) -> PushServer:
        settings = load_settings(
            str(tmp_path / data),
            overrides={
                "failed_login_delay": 0.0,
                "lmtp_listen": "",
                "push_allow_private_urls": True,
                **overrides,
            },
            environ={},
        )
        services = open_services(settings)
        known = users.setdefault(data, {})
        for name in ("alice", "bob"):
            if name not in known:
                known[name] = add_user(services.store, name, f"{name}-secret-password")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        companions = [*push_companions(services), *subscription_companions(services)]
        server, thread = serve_in_thread(create_app(services, companions), sock)
        live = PushServer(
            f"http://127.0.0.1:{port}", services, known["alice"], known["bob"], server, thread
        )
        running.append(live)
        return live

    yield make
    for live in running:
        live.stop()
