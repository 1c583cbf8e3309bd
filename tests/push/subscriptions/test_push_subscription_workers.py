"""`satchel serve --workers 2` as real processes: every worker hears every StateChange, yet each
is POSTed to a push subscription once (only the flock holder delivers)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
from http_support import add_user
from pushsub_support import MAIL, Jmap, PushService

from satchel.store import open_store

USING = ("urn:ietf:params:jmap:core", MAIL)
SETTLE_SECONDS = 0.3


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _serve(data: Path, port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SATCHEL_")}
    command = [sys.executable, "-m", "satchel", "serve", "--data", str(data)]
    command += ["--listen", f"127.0.0.1:{port}", "--workers", "2", "--lmtp", "off"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/.well-known/jmap", timeout=1).status_code == 401:
                return process
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("server did not start: " + process.communicate()[1].decode())
        time.sleep(0.05)


def test_two_workers_push_each_change_once(tmp_path: Path, push_service: PushService) -> None:
    data = tmp_path / "data"
    store = open_store(data)
    alice = add_user(store, "alice", "alice-password")
    store.close_sync()
    (data / "satchel.toml").write_text(
        'failed_login_delay = 0.0\nlog_level = "warning"\npush_allow_private_urls = true\n'
    )
    port = _free_port()
    process = _serve(data, port)
    clients: list[Jmap] = []
    try:
        # A client per connection, so the requests spread over both workers.
        def jmap() -> Jmap:
            client = Jmap(f"http://127.0.0.1:{port}", alice.basic)
            clients.append(client)
            return client

        created = jmap().ok(
            "PushSubscription/set",
            {"create": {"s": {"deviceClientId": "d", "url": push_service.url("/w")}}},
        )
        sub_id = created["created"]["s"]["id"]
        code = push_service.wait_for(1, "/w")[0].json()["verificationCode"]
        jmap().ok("PushSubscription/set", {"update": {sub_id: {"verificationCode": code}}})

        state = ""
        for n in range(8):
            result = jmap().ok(
                "Mailbox/set",
                {"accountId": alice.account_id, "create": {"m": {"name": f"Box {n}"}}},
                USING,
            )
            state = result["newState"]
        push_service.wait_until(
            lambda r: r.json().get("changed", {}).get(alice.account_id, {}).get("Mailbox") == state,
            "/w",
        )
        time.sleep(SETTLE_SECONDS)  # a second deliverer's copy would have arrived by now
        pushed = [
            r.json()["changed"][alice.account_id]["Mailbox"]
            for r in push_service.posts("/w")
            if "changed" in r.json()
        ]
        assert pushed and pushed[-1] == state
        assert [s for s, n in Counter(pushed).items() if n > 1] == []
    finally:
        for client in clients:
            client.close()
        process.terminate()
        _, stderr = process.communicate(timeout=30)
        assert process.returncode in (0, -signal.SIGTERM), stderr.decode()
        assert b"Traceback" not in stderr, stderr.decode()
