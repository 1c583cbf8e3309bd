"""`satchel deliver` (an MTA's pipe into Satchel) also sends the vacation auto-reply: run as a
real subprocess, the reply lands in the local sender's Inbox and the exit status stays 0."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from engine_client import EngineClient

from satchel.config import Settings
from satchel.core.limits import CoreLimits
from satchel.services import build_registry
from satchel.store import open_store
from satchel.store.base import Record, WriteTxn

USING = ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:vacationresponse"]
MESSAGE = (
    b"Return-Path: <bob@localhost>\n"
    b"From: Bob <bob@localhost>\n"
    b"To: alice@localhost\n"
    b"Subject: Piped\n"
    b"Message-ID: <piped@localhost>\n"
    b"\n"
    b"Hello.\n"
)


def deliver(data: Path, message: bytes) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SATCHEL_")}
    return subprocess.run(
        [sys.executable, "-m", "satchel", "deliver", "alice", "--data", str(data)],
        input=message,
        capture_output=True,
        env=env,
        timeout=60,
    )


async def test_satchel_deliver_sends_the_auto_reply(tmp_path: Path) -> None:
    data = tmp_path / "data"
    settings = Settings(data_dir=str(data))
    store = open_store(data)
    try:

        def create(txn: WriteTxn) -> tuple[Any, Any, str]:
            alice = txn.create_user("alice", "hash", None)
            bob = txn.create_user("bob", "hash", None)
            return alice, txn.accounts_for_user(alice.id)[0], txn.accounts_for_user(bob.id)[0].id

        (alice, account, bob_account), _ = store.write_sync("", create)
        limits = CoreLimits()
        client = EngineClient(
            store, alice, [account], limits, build_registry(settings, limits), USING
        )
        name, result = await client.call(
            "VacationResponse/set", update={"singleton": {"isEnabled": True, "subject": "Away"}}
        )
        assert name == "VacationResponse/set" and result["updated"] == {"singleton": None}, result
    finally:
        await store.close()

    first = deliver(data, MESSAGE)
    assert first.returncode == 0, first.stderr
    second = deliver(data, MESSAGE.replace(b"<piped@", b"<piped2@"))
    assert second.returncode == 0, second.stderr

    store = open_store(data)
    try:
        replies: list[Record] = store.read_sync(
            lambda txn: txn.get_records(bob_account, "Email", None)
        )
        assert [r.data["subject"] for r in replies] == ["Away"]
        assert replies[0].data["inReplyTo"] == ["piped@localhost"]
    finally:
        await store.close()
