"""LMTP over real sockets (TCP and a unix socket) into a real SQLite store: RFC 2033's one reply
per accepted recipient after DATA, in RCPT order, each sent once that copy is stored."""

from __future__ import annotations

import asyncio
import shutil
import socket
from email.parser import BytesParser
from pathlib import Path

from lmtp_client import Client
from lmtp_support import StartLmtp, emails, mailbox_ids_by_role

from satchel.config import Settings
from satchel.smtp.lmtp_server import UnixAddress
from satchel.store.base import Store

MESSAGE = (
    b"From: Carol <carol@example.net>\r\n"
    b"To: alice@example.org\r\n"
    b"Subject: Hello over LMTP\r\n"
    b"Message-ID: <lmtp-1@example.net>\r\n"
    b"\r\n"
    b"Hi Alice,\r\n"
    b".a line that starts with a dot\r\n"
    b"bye.\r\n"
)


async def stored_bytes(store: Store, account_id: str) -> list[bytes]:
    found = []
    for record in await emails(store, account_id):
        raw = store.blobs.open(record.data["blobId"])
        assert raw is not None
        found.append(raw)
    return found


async def test_lhlo_advertises_what_the_server_does(start: StartLmtp) -> None:
    listener = await start()
    client = await Client.connect(listener.address)
    lines = await client.lhlo()
    keywords = {line[4:].split()[0] for line in lines[1:]}
    assert {"PIPELINING", "ENHANCEDSTATUSCODES", "8BITMIME", "SIZE"} <= keywords
    assert all(line.startswith("250") for line in lines)
    assert await client.command("EHLO x") == '500 5.5.2 Error: command "EHLO" not recognized'
    assert (await client.command("QUIT")).startswith("221 2.0.0")
    await client.close()


async def test_one_reply_per_accepted_recipient_in_rcpt_order(
    start: StartLmtp, store: Store, accounts: dict[str, str]
) -> None:
    listener = await start()
    client = await Client.connect(listener.address)
    await client.lhlo()
    assert await client.command("MAIL FROM:<carol@example.net>") == "250 2.1.0 OK"
    assert await client.command("RCPT TO:<Alice@Example.ORG>") == "250 2.1.5 OK"
    assert (await client.command("RCPT TO:<nobody@example.org>")).startswith("550 5.1.1")
    assert (await client.command("RCPT TO:<someone@elsewhere.net>")).startswith("550 5.1.2")
    assert await client.command("RCPT TO:<bob@mail.example.org>") == "250 2.1.5 OK"
    assert (await client.command("DATA")).startswith("354")
    await client.data(MESSAGE)
    # Exactly two replies (alice, bob), then the session goes on.
    assert (await client.reply()) == ["250 2.1.5 OK, delivered"]
    assert (await client.reply()) == ["250 2.1.5 OK, delivered"]
    assert await client.command("NOOP") == "250 2.0.0 OK"
    await client.close()

    for name in ("alice", "bob"):
        [raw] = await stored_bytes(store, accounts[name])
        headers = BytesParser().parsebytes(raw, headersonly=True)
        assert headers["Return-Path"] == "<carol@example.net>"
        assert headers["Subject"] == "Hello over LMTP"
        assert "by " in headers["Received"] and "with LMTP" in headers["Received"]
        assert raw.endswith(b"\r\n\r\nHi Alice,\r\n.a line that starts with a dot\r\nbye.\r\n")
    [alice_raw] = await stored_bytes(store, accounts["alice"])
    assert b"Delivered-To: Alice@Example.ORG\r\n" in alice_raw


async def test_message_is_visible_in_the_inbox_once_acknowledged(
    start: StartLmtp, store: Store, accounts: dict[str, str]
) -> None:
    listener = await start()
    client = await Client.connect(listener.address)
    await client.lhlo()
    await client.command("MAIL FROM:<>")
    await client.command("RCPT TO:<alice@example.org>")
    await client.command("DATA")
    await client.data(MESSAGE)
    assert await client.reply() == ["250 2.1.5 OK, delivered"]
    # Checked before QUIT: the 250 came after the commit.
    [record] = await emails(store, accounts["alice"])
    inbox = (await mailbox_ids_by_role(store, accounts["alice"]))["inbox"]
    assert record.data["mailboxIds"] == {inbox: True}
    assert record.data["subject"] == "Hello over LMTP"
    [raw] = await stored_bytes(store, accounts["alice"])
    assert raw.startswith(b"Return-Path: <>\r\n")
    await client.close()


async def test_plus_address_delivers_to_the_named_mailbox_else_the_inbox(
    start: StartLmtp, store: Store, accounts: dict[str, str]
) -> None:
    listener = await start()
    client = await Client.connect(listener.address)
    await client.lhlo()
    for rcpt in ("alice+archive@example.org", "alice+NoSuchFolder@example.org"):
        await client.command("MAIL FROM:<carol@example.net>")
        assert await client.command(f"RCPT TO:<{rcpt}>") == "250 2.1.5 OK"
        await client.command("DATA")
        await client.data(MESSAGE)
        assert await client.reply() == ["250 2.1.5 OK, delivered"]
    await client.close()
    roles = await mailbox_ids_by_role(store, accounts["alice"])
    placed = sorted(
        next(iter(r.data["mailboxIds"])) for r in await emails(store, accounts["alice"])
    )
    assert placed == sorted([roles["archive"], roles["inbox"]])


async def test_pipelined_transaction_gets_every_reply_in_order(
    start: StartLmtp, store: Store, accounts: dict[str, str]
) -> None:
    listener = await start()
    client = await Client.connect(listener.address)
    await client.lhlo()
    # RFC 2920: the whole transaction in one write, DATA last in the group.
    await client.send(
        b"MAIL FROM:<carol@example.net>\r\n"
        b"RCPT TO:<bob@example.org>\r\n"
        b"RCPT TO:<ghost@example.org>\r\n"
        b"RCPT TO:<alice@example.org>\r\n"
        b"DATA\r\n"
    )
    replies = [(await client.reply())[0] for _ in range(5)]
    assert replies[0] == "250 2.1.0 OK"
    assert replies[1] == "250 2.1.5 OK"
    assert replies[2].startswith("550 5.1.1")
    assert replies[3] == "250 2.1.5 OK"
    assert replies[4].startswith("354")
    # The message, then the next command, in one write as well.
    await client.send(MESSAGE + b".\r\nQUIT\r\n")
    assert [(await client.reply())[0] for _ in range(3)] == [
        "250 2.1.5 OK, delivered",
        "250 2.1.5 OK, delivered",
        "221 2.0.0 Bye",
    ]
    await client.close()
    assert len(await emails(store, accounts["alice"])) == 1
    assert len(await emails(store, accounts["bob"])) == 1


async def test_oversize_message_is_refused_for_each_recipient(
    start: StartLmtp, store: Store, accounts: dict[str, str]
) -> None:
    listener = await start(max_message_size=1000)
    client = await Client.connect(listener.address)
    lines = await client.lhlo()
    assert "250-SIZE 1000" in lines
    assert (await client.command("MAIL FROM:<c@example.net> SIZE=5000")).startswith("552 5.3.4")
    await client.command("MAIL FROM:<c@example.net>")
    await client.command("RCPT TO:<alice@example.org>")
    await client.command("RCPT TO:<bob@example.org>")
    await client.command("DATA")
    await client.data(MESSAGE + b"x" * 2000 + b"\r\n")
    assert (await client.reply())[0].startswith("552 5.3.4")
    assert (await client.reply())[0].startswith("552 5.3.4")
    # The session is still in step: a small message goes through.
    await client.command("MAIL FROM:<c@example.net>")
    await client.command("RCPT TO:<alice@example.org>")
    await client.command("DATA")
    await client.data(MESSAGE)
    assert await client.reply() == ["250 2.1.5 OK, delivered"]
    await client.close()
    assert len(await emails(store, accounts["alice"])) == 1
    assert await emails(store, accounts["bob"]) == []


async def test_long_lines_and_big_messages_arrive_intact(
    start: StartLmtp, store: Store, accounts: dict[str, str]
) -> None:
    listener = await start()
    client = await Client.connect(listener.address)
    await client.lhlo()
    body = b"".join(b"line %d " % i + b"." * (i % 7) + b"\r\n" for i in range(30000))
    message = MESSAGE + b"A" * 400_000 + b"\r\n" + body
    await client.command("MAIL FROM:<carol@example.net>")
    await client.command("RCPT TO:<alice@example.org>")
    await client.command("DATA")
    await client.data(message)
    assert await client.reply() == ["250 2.1.5 OK, delivered"]
    await client.close()
    [raw] = await stored_bytes(store, accounts["alice"])
    assert raw.endswith(message)


async def test_dropped_connection_mid_data_stores_nothing(
    start: StartLmtp, store: Store, accounts: dict[str, str]
) -> None:
    listener = await start()
    client = await Client.connect(listener.address)
    await client.lhlo()
    await client.command("MAIL FROM:<carol@example.net>")
    await client.command("RCPT TO:<alice@example.org>")
    await client.command("DATA")
    await client.send(MESSAGE)  # no terminating dot
    await client.close()
    await asyncio.sleep(0.2)
    # The listener still serves others.
    other = await Client.connect(listener.address)
    await other.lhlo()
    assert await other.command("NOOP") == "250 2.0.0 OK"
    await other.close()
    assert await emails(store, accounts["alice"]) == []


async def test_commands_out_of_order_get_503(start: StartLmtp, accounts: dict[str, str]) -> None:
    listener = await start()
    client = await Client.connect(listener.address)
    assert (await client.command("MAIL FROM:<a@b>")).startswith("503 5.5.1")
    await client.lhlo()
    assert (await client.command("RCPT TO:<alice@example.org>")).startswith("503 5.5.1")
    await client.command("MAIL FROM:<a@b>")
    assert (await client.command("DATA")).startswith("503 5.5.1")
    # No accepted recipient: DATA still fails (RFC 2033 section 4.2).
    assert (await client.command("RCPT TO:<ghost@example.org>")).startswith("550")
    assert (await client.command("DATA")).startswith("503 5.5.1")
    await client.close()


async def test_unix_socket_listener(
    start: StartLmtp, store: Store, accounts: dict[str, str], tmp_path: Path
) -> None:
    path = str(tmp_path / "lmtp.sock")
    # A stale socket file from an earlier run is replaced.
    with socket.socket(socket.AF_UNIX) as stale:
        stale.bind(path)
    listener = await start(UnixAddress(path))
    client = await Client.connect(listener.address)
    lines = await client.lhlo()
    assert "250 ENHANCEDSTATUSCODES" in lines
    await client.command("MAIL FROM:<carol@example.net>")
    assert await client.command("RCPT TO:<alice@example.org>") == "250 2.1.5 OK"
    assert (await client.command("RCPT TO:<ghost@example.org>")).startswith("550 5.1.1")
    await client.command("DATA")
    await client.data(MESSAGE)
    assert await client.reply() == ["250 2.1.5 OK, delivered"]
    await client.close()
    [raw] = await stored_bytes(store, accounts["alice"])
    assert b"(local)" in raw.split(b"\r\n\r\n")[0]


async def send_one(client: Client, *rcpts: str) -> list[str]:
    await client.command("MAIL FROM:<carol@example.net>")
    for rcpt in rcpts:
        assert await client.command(f"RCPT TO:<{rcpt}>") == "250 2.1.5 OK"
    await client.command("DATA")
    await client.data(MESSAGE)
    return [(await client.reply())[0] for _ in rcpts]


async def test_each_recipient_learns_its_own_outcome(
    start: StartLmtp, store: Store, accounts: dict[str, str]
) -> None:
    # Alice's inbox is gone (and she has other mailboxes, so none is made): her copy cannot be
    # placed, Bob's can.
    inbox = (await mailbox_ids_by_role(store, accounts["alice"]))["inbox"]
    await store.write(accounts["alice"], lambda txn: txn.destroy_record("Mailbox", inbox))
    listener = await start()
    client = await Client.connect(listener.address)
    await client.lhlo()
    replies = await send_one(client, "alice@example.org", "bob@example.org")
    assert replies[0].startswith("450 4.2.0")
    assert replies[1] == "250 2.1.5 OK, delivered"
    await client.close()
    assert await emails(store, accounts["alice"]) == []
    assert len(await emails(store, accounts["bob"])) == 1


async def test_a_storage_failure_is_a_temporary_failure_and_stores_nothing(
    start: StartLmtp, store: Store, accounts: dict[str, str], settings: Settings
) -> None:
    blobs = settings.data_path / "blobs"
    shutil.rmtree(blobs)
    blobs.write_bytes(b"not a directory")  # every blob write now fails
    listener = await start()
    client = await Client.connect(listener.address)
    await client.lhlo()
    replies = await send_one(client, "alice@example.org", "bob@example.org")
    assert all(r.startswith(("451 4.3.0", "452 4.3.1")) for r in replies), replies
    # The session goes on once storage is back.
    blobs.unlink()
    blobs.mkdir()
    (blobs / "tmp").mkdir()
    assert await send_one(client, "alice@example.org") == ["250 2.1.5 OK, delivered"]
    await client.close()
    assert len(await emails(store, accounts["alice"])) == 1
    assert await emails(store, accounts["bob"]) == []


async def test_an_unexpected_failure_is_temporary_not_a_bounce(
    start: StartLmtp, store: Store, accounts: dict[str, str]
) -> None:
    listener = await start()
    client = await Client.connect(listener.address)
    await client.lhlo()
    await client.command("MAIL FROM:<carol@example.net>")
    await store.close()  # every lookup now fails with an error nobody planned for
    assert (await client.command("RCPT TO:<alice@example.org>")).startswith("451 4.3.0")
    assert await client.command("NOOP") == "250 2.0.0 OK"
    await client.close()
