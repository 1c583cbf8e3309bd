"""Helpers for the HTTP tests: test users and a live server handle (the server itself runs on a
thread through `live_server.serve_in_thread`)."""

from __future__ import annotations

import base64
import dataclasses
import functools
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from satchel.auth.passwords import hash_password
from satchel.auth.tokens import generate_token, token_hash
from satchel.config import Settings
from satchel.core.limits import CoreLimits
from satchel.core.registry import Registry
from satchel.store.base import Store, WriteTxn


@dataclasses.dataclass
class HttpUser:
    username: str
    password: str
    user_id: str
    account_id: str
    token: str

    @property
    def basic(self) -> str:
        raw = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(raw).decode()

    @property
    def bearer(self) -> str:
        return f"Bearer {self.token}"

    def headers(self, **extra: str) -> dict[str, str]:
        return {"Authorization": self.basic, **extra}


@dataclasses.dataclass
class LiveServer:
    url: str
    port: int
    store: Store
    limits: CoreLimits
    registry: Registry
    settings: Settings
    alice: HttpUser
    bob: HttpUser

    def client(self, user: HttpUser | None = None, **kwargs: Any) -> httpx.Client:
        headers = {"Authorization": user.basic} if user else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=10, **kwargs)


@functools.cache
def cached_hash(password: str) -> str:
    """argon2 is deliberately slow; the tests reuse one hash per password."""
    return hash_password(password)


def add_user(store: Store, username: str, password: str) -> HttpUser:
    token = generate_token()
    password_hash = cached_hash(password)

    def create(txn: WriteTxn) -> tuple[str, str]:
        user = txn.create_user(username, password_hash, f"{username}@example.com")
        txn.create_token(user.id, token_hash(token), "tests")
        return user.id, txn.accounts_for_user(user.id)[0].id

    (user_id, account_id), _ = store.write_sync("", create)
    return HttpUser(username, password, user_id, account_id, token)


MakeServer = Callable[..., LiveServer]


CORE = "urn:ietf:params:jmap:core"


def echo_request(**arguments: Any) -> dict[str, Any]:
    return {"using": [CORE], "methodCalls": [["Core/echo", arguments, "c0"]]}


def _stall_and_probe(
    server: LiveServer,
    user: HttpUser,
    path: str,
    body: bytes,
    probe: Callable[[httpx.Client], httpx.Response],
    headers: dict[str, str] | None,
) -> tuple[httpx.Response | None, httpx.Response | None]:
    release = threading.Event()
    stalled: list[httpx.Response] = []

    def stalling_body() -> Iterator[bytes]:
        yield body[:10]
        release.wait(10)
        yield body[10:]

    def send() -> None:
        with server.client(user) as http:
            stalled.append(http.post(path, content=stalling_body(), headers=headers))

    refused = None
    with server.client(user) as http:
        http.get("/.well-known/jmap")  # warm the credential cache: the stall starts fast
        worker = threading.Thread(target=send)
        worker.start()
        time.sleep(0.05)
        try:
            deadline = time.monotonic() + 10
            while refused is None and time.monotonic() < deadline:
                response = probe(http)
                if response.status_code == 429:
                    refused = response
                else:
                    time.sleep(0.01)
        finally:
            release.set()
            worker.join(10)
    return refused, (stalled[0] if stalled else None)


def refused_while_busy(
    server: LiveServer,
    user: HttpUser,
    path: str,
    body: bytes,
    probe: Callable[[httpx.Client], httpx.Response],
    headers: dict[str, str] | None = None,
) -> tuple[httpx.Response, httpx.Response]:
    """Hold one of `user`'s slots with a POST to `path` whose body stalls halfway, and `probe`
    until the server refuses with 429. Returns (the refused probe, the stalled request's final
    response once its body was let through).

    The stalled request itself may lose the race for the slot to a probe; then the attempt is
    repeated (the caller's assertions decide whether the refusal was the right one).
    """
    for _ in range(5):
        refused, stalled = _stall_and_probe(server, user, path, body, probe, headers)
        if refused is not None and stalled is not None and stalled.status_code != 429:
            return refused, stalled
    raise AssertionError("no request was refused while another held the user's slot")
