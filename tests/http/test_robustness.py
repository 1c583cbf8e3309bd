"""What a client must never see: a bare 500 or traceback, half-written blobs after a client
vanishes mid-upload, or expired uploads that stay downloadable."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from typing import Any

from http_support import LiveServer, MakeServer

from satchel.core.registry import Capability
from satchel.http.expiry import expiry_loop
from satchel.http.server import parse_listen


def test_unexpected_bug_is_a_logged_500_server_fail(make_server: MakeServer) -> None:
    server = make_server()

    def broken() -> dict[str, Any]:
        raise RuntimeError("a bug in a capability")

    # The registry is data: a capability whose Session value fails is a bug we did not foresee.
    server.registry.add_capability(Capability(uri="urn:example:broken", session_value=broken))
    with server.client(server.alice) as http:
        failed = http.get("/.well-known/jmap", headers={"Origin": "https://x.example"})
        still_fine = http.post(f"/jmap/upload/{server.alice.account_id}/", content=b"x")
    assert failed.status_code == 500
    assert failed.headers["content-type"] == "application/problem+json"
    assert failed.json()["type"] == "urn:ietf:params:jmap:error:serverFail"
    assert "RuntimeError" not in failed.text and "Traceback" not in failed.text
    assert failed.headers["access-control-allow-origin"] == "*"
    assert still_fine.status_code == 201


def test_client_vanishing_mid_upload_leaves_nothing(server: LiveServer) -> None:
    alice = server.alice
    head = (
        f"POST /jmap/upload/{alice.account_id}/ HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: {alice.basic}\r\nContent-Length: 1000000\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(head + b"partial" * 1000)
        time.sleep(0.2)
    tmp = server.store.blobs.root / "tmp"  # type: ignore[attr-defined]
    deadline = time.monotonic() + 5
    while tmp.exists() and list(tmp.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not tmp.exists() or list(tmp.iterdir()) == []
    assert list(server.store.blobs.all_ids()) == []
    with server.client(alice) as http:
        assert http.post(f"/jmap/upload/{alice.account_id}/", content=b"ok").status_code == 201


async def test_expiry_loop_drops_expired_uploads(make_server: MakeServer) -> None:
    server = make_server(blob_expiry_seconds=0)
    alice = server.alice
    with server.client(alice) as http:
        blob_id = http.post(f"/jmap/upload/{alice.account_id}/", content=b"short-lived").json()[
            "blobId"
        ]
        path = f"/jmap/download/{alice.account_id}/{blob_id}/n?type=a%2Fb"
        assert http.get(path).status_code == 200
        sweeper = asyncio.create_task(expiry_loop(server.store, interval=0.05))
        try:
            deadline = time.monotonic() + 5
            while http.get(path).status_code == 200 and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
        finally:
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper
        gone = http.get(path)
    assert gone.status_code == 404
    assert gone.headers["content-type"] == "application/problem+json"


def test_parse_listen() -> None:
    assert parse_listen("127.0.0.1:8080") == ("127.0.0.1", 8080)
    assert parse_listen("[::1]:8443") == ("::1", 8443)
    assert parse_listen(":80") == ("0.0.0.0", 80)
    for bad in ("8080", "host:", "::1:80", "h:99999", "h:x"):
        try:
            parse_listen(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad!r} was accepted")
