"""The vacation auto-reply end to end: bob sends to alice over a real LMTP socket while alice's
VacationResponse (set through the JMAP engine) is on; the reply lands in bob's Inbox, once per
period, threaded to the original, and never delays or fails the delivery's 250."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email import message_from_bytes
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from engine_client import EngineClient

import satchel.smtp.outbound.outbox as outbox
from satchel.config import Settings
from satchel.core.limits import CoreLimits
from satchel.mail.vacation_delivery import auto_replies_settled, auto_reply
from satchel.services import build_registry
from satchel.smtp.lmtp_server import LmtpListener, TcpAddress, start_lmtp
from satchel.store import open_store
from satchel.store.base import Record, Store, WriteTxn

USING = [
    "urn:ietf:params:jmap:core",
    "urn:ietf:params:jmap:mail",
    "urn:ietf:params:jmap:vacationresponse",
]


@dataclass
class World:
    store: Store
    settings: Settings
    lmtp: LmtpListener
    alice: EngineClient
    bob_account: str


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    settings = Settings(data_dir=str(tmp_path / "data"), domain="example.org")
    store = open_store(settings.data_path)

    def create(txn: WriteTxn) -> tuple[Any, Any, str]:
        alice = txn.create_user("alice", "hash", None)
        bob = txn.create_user("bob", "hash", None)
        return alice, txn.accounts_for_user(alice.id)[0], txn.accounts_for_user(bob.id)[0].id

    (alice, alice_account, bob_account), _ = store.write_sync("", create)
    limits = CoreLimits()
    registry = build_registry(settings, limits)
    client = EngineClient(store, alice, [alice_account], limits, registry, USING)
    lmtp = await start_lmtp(store, settings, TcpAddress("127.0.0.1", 0), reuse_port=False)
    assert lmtp is not None
    yield World(store, settings, lmtp, client, bob_account)
    await lmtp.close()
    await auto_replies_settled()
    await store.close()


async def lmtp_send(listener: LmtpListener, mail_from: str, rcpt: str, message: bytes) -> str:
    """One LMTP transaction; the reply to DATA's end for the one recipient."""
    address = listener.address
    assert isinstance(address, TcpAddress)
    reader, writer = await asyncio.open_connection(address.host, address.port)

    async def reply() -> str:
        while True:
            line = (await asyncio.wait_for(reader.readline(), 10)).decode()
            if line[3:4] != "-":
                return line.rstrip("\r\n")

    await reply()
    for command in ("LHLO test", f"MAIL FROM:<{mail_from}>", f"RCPT TO:<{rcpt}>", "DATA"):
        writer.write(command.encode() + b"\r\n")
        await writer.drain()
        answer = await reply()
        assert answer[0] in "23", (command, answer)
    writer.write(message + b".\r\n")
    await writer.drain()
    final = await reply()
    writer.write(b"QUIT\r\n")
    await writer.drain()
    writer.close()
    return final


def message(number: int, *extra: str) -> bytes:
    lines = [
        "From: Bob <bob@example.org>",
        "To: Alice <alice@example.org>",
        f"Subject: Question {number}",
        f"Message-ID: <q{number}@example.org>",
        *extra,
    ]
    return ("\r\n".join(lines) + "\r\n\r\nAre you there?\r\n").encode()


async def go_on_vacation(alice: EngineClient, **props: Any) -> None:
    update = {"isEnabled": True, "subject": "Away", "textBody": "Back soon.", **props}
    name, result = await alice.call("VacationResponse/set", update={"singleton": update})
    assert name == "VacationResponse/set" and result["updated"] == {"singleton": None}, result


async def inbox_of(store: Store, account_id: str) -> list[Record]:
    def read(txn: Any) -> list[Record]:
        boxes = txn.get_records(account_id, "Mailbox", None)
        inbox = [b.id for b in boxes if b.data["role"] == "inbox"]
        emails = txn.get_records(account_id, "Email", None)
        return [e for e in emails if set(inbox) & set(e.data["mailboxIds"])]

    return list(await store.read(read))


def raw_of(store: Store, record: Record) -> bytes:
    data = store.blobs.open(record.data["blobId"])
    assert data is not None
    return data


async def test_bob_gets_one_reply_in_his_inbox(world: World) -> None:
    await go_on_vacation(world.alice)
    answer = await lmtp_send(world.lmtp, "bob@example.org", "alice@example.org", message(1))
    assert answer.startswith("250 ")
    await auto_replies_settled()
    [reply] = await inbox_of(world.store, world.bob_account)
    parsed = message_from_bytes(raw_of(world.store, reply), policy=default)
    assert parsed["Subject"] == "Away"
    assert parsed["From"] == "alice <alice@example.org>"
    assert parsed["To"] == "bob@example.org"
    assert parsed["Auto-Submitted"] == "auto-replied"
    assert parsed["In-Reply-To"] == "<q1@example.org>"
    assert parsed["Return-Path"] == "<>"  # RFC 3834 section 3.3: null envelope sender
    assert reply.data["subject"] == "Away"
    assert reply.data["inReplyTo"] == ["q1@example.org"]

    # Within the period: no second reply; bulk mail: none at all.
    await lmtp_send(world.lmtp, "bob@example.org", "alice@example.org", message(2))
    await lmtp_send(
        world.lmtp, "carol@example.org", "alice@example.org", message(3, "Precedence: bulk")
    )
    await auto_replies_settled()
    assert len(await inbox_of(world.store, world.bob_account)) == 1

    # A changed VacationResponse answers everyone again.
    await go_on_vacation(world.alice, subject="Still away")
    await lmtp_send(world.lmtp, "bob@example.org", "alice@example.org", message(4))
    await auto_replies_settled()
    subjects = sorted(r.data["subject"] for r in await inbox_of(world.store, world.bob_account))
    assert subjects == ["Away", "Still away"]


async def test_no_reply_when_off_or_outside_the_dates(world: World) -> None:
    await lmtp_send(world.lmtp, "bob@example.org", "alice@example.org", message(1))
    await go_on_vacation(world.alice, fromDate="2999-01-01T00:00:00Z")
    await lmtp_send(world.lmtp, "bob@example.org", "alice@example.org", message(2))
    await go_on_vacation(world.alice, fromDate=None, toDate="2000-01-01T00:00:00Z")
    await lmtp_send(world.lmtp, "bob@example.org", "alice@example.org", message(3))
    await auto_replies_settled()
    assert await inbox_of(world.store, world.bob_account) == []
    assert len(await inbox_of(world.store, world.alice.account_id)) == 3


async def test_a_stuck_or_failing_reply_never_holds_the_delivery(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    await go_on_vacation(world.alice)
    started = asyncio.Event()
    release = asyncio.Event()

    async def stuck(*args: Any, **kwargs: Any) -> None:
        started.set()
        await release.wait()
        raise OSError("relay on fire")

    monkeypatch.setattr(outbox, "send_message", stuck)
    answer = await lmtp_send(world.lmtp, "bob@example.org", "alice@example.org", message(1))
    # The 250 came while the reply is still being sent.
    assert answer.startswith("250 ")
    await asyncio.wait_for(started.wait(), 10)
    release.set()
    await auto_replies_settled()
    assert "vacation auto-reply for account" in caplog.text
    assert len(await inbox_of(world.store, world.alice.account_id)) == 1
    assert await inbox_of(world.store, world.bob_account) == []


async def test_aliases_and_subaddresses_name_the_user(world: World) -> None:
    await go_on_vacation(world.alice)
    alice_user = world.alice.user.id
    await world.store.write("", lambda txn: txn.add_alias(alice_user, "sales@example.org"))
    account = world.alice.account_id

    def sent_by(sender: str, to: str) -> bytes:
        return (
            f"Return-Path: <{sender}>\r\nFrom: {sender}\r\nTo: {to}\r\n"
            f"Subject: Hi\r\nMessage-ID: <{sender}>\r\n\r\nHi\r\n"
        ).encode()

    store, settings = world.store, world.settings
    assert await auto_reply(
        store, settings, account, sent_by("bob@example.org", "Sales@example.org")
    )
    assert await auto_reply(
        store, settings, account, sent_by("carol@example.org", "alice+work@example.org")
    )
    # Not named (a list copy or a Bcc), or from one of alice's own addresses: no reply.
    assert not await auto_reply(store, settings, account, sent_by("dan@example.org", "x@y.org"))
    assert not await auto_reply(
        store, settings, account, sent_by("sales@example.org", "alice@example.org")
    )
    assert len(await inbox_of(world.store, world.bob_account)) == 1
