"""`satchel serve --workers 2` as real processes sending through a real relay: messages queued
while the relay is down are retried by both workers' runners, competing for every message, and
once the relay is up each message reaches it exactly once."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session
from live_server import free_port

from satchel.auth.passwords import hash_password
from satchel.store import open_store

USING = [
    "urn:ietf:params:jmap:core",
    "urn:ietf:params:jmap:mail",
    "urn:ietf:params:jmap:submission",
]
MESSAGES = 6


class Recorder:
    def __init__(self) -> None:
        self.message_ids: list[str] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        data = envelope.original_content or b""
        for line in data.split(b"\r\n"):
            if line.lower().startswith(b"message-id:"):
                with self.lock:
                    self.message_ids.append(line.split(b":", 1)[1].strip().decode())
        return "250 2.0.0 queued"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, int]]:
    data = tmp_path / "data"
    store = open_store(data)
    store.write_sync("", lambda txn: txn.create_user("alice", hash_password("pw-alice"), None))
    store.close_sync()
    relay_port = free_port()
    (data / "satchel.toml").write_text(
        'failed_login_delay = 0.0\nlog_level = "warning"\ndomain = "example.org"\n'
        f'smtp_relay = "127.0.0.1:{relay_port}"\nsmtp_relay_security = "none"\n'
        "smtp_retry_initial_seconds = 0.2\nsmtp_retry_max_seconds = 0.2\n"
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SATCHEL_")}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "satchel",
            "serve",
            "--data",
            str(data),
            "--listen",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--lmtp",
            "off",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{url}/.well-known/jmap", timeout=1).status_code == 401:
                break
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("server did not start: " + process.communicate()[1].decode())
        time.sleep(0.1)
    try:
        yield url, relay_port
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
        assert b"Traceback" not in stderr, stderr.decode()


def _api(client: httpx.Client, api_url: str, calls: list[Any]) -> list[Any]:
    response = client.post(api_url, json={"using": USING, "methodCalls": calls})
    response.raise_for_status()
    return list(response.json()["methodResponses"])


def test_two_workers_send_each_queued_message_once(served: tuple[str, int]) -> None:
    url, relay_port = served
    with httpx.Client(auth=("alice", "pw-alice"), timeout=10, follow_redirects=True) as client:
        session = client.get(f"{url}/.well-known/jmap").json()
        api = session["apiUrl"]
        account = session["primaryAccounts"]["urn:ietf:params:jmap:submission"]
        [[_, identities, _], [_, mailboxes, _]] = _api(
            client,
            api,
            [
                ["Identity/get", {"accountId": account}, "i"],
                ["Mailbox/query", {"accountId": account, "filter": {"role": "drafts"}}, "m"],
            ],
        )
        identity, drafts = identities["list"][0]["id"], mailboxes["ids"][0]
        for n in range(MESSAGES):
            draft = {
                "from": [{"email": "alice@example.org"}],
                "to": [{"email": f"friend{n}@remote.test"}],
                "subject": f"Message {n}",
                "messageId": [f"m{n}@example.org"],
                "bodyValues": {"b": {"value": "hello"}},
                "textBody": [{"partId": "b", "type": "text/plain"}],
                "mailboxIds": {drafts: True},
            }
            submission = {"identityId": identity, "emailId": "#d"}
            responses = _api(
                client,
                api,
                [
                    ["Email/set", {"accountId": account, "create": {"d": draft}}, "e"],
                    [
                        "EmailSubmission/set",
                        {"accountId": account, "create": {"s": submission}},
                        "s",
                    ],
                ],
            )
            assert responses[1][0] == "EmailSubmission/set", responses
            assert responses[1][1]["created"], responses
    time.sleep(0.5)  # both runners have failed at the closed port at least once
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=relay_port)
    controller.start()
    try:
        deadline = time.monotonic() + 15
        while len(recorder.message_ids) < MESSAGES and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)  # more retry rounds of both workers: nothing may arrive twice
    finally:
        controller.stop()
    assert sorted(recorder.message_ids) == sorted(f"<m{n}@example.org>" for n in range(MESSAGES))
