"""Remote recipients through the outbound queue to a real SMTP relay on a local socket: what
the relay receives, refusals that bounce with a DSN into the sender's Inbox, a relay that is
down (retried, then delivered), one that stalls (others still go through), and a queue that
survives reopening the store."""

from __future__ import annotations

import asyncio
import socket
import time
from email import message_from_bytes
from pathlib import Path

import msgspec
import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from lmtp_support import emails
from relay_sink import SinkHandler, sink

from satchel.config import Settings
from satchel.smtp.outbound.outbox import send_message
from satchel.smtp.outbound.runner import OutboundRunner, running
from satchel.store.base import ReadTxn, Store
from satchel.store.sqlite import SqliteStore

RAW = (
    b"From: Alice <alice@example.org>\r\nTo: carol@remote.test\r\nSubject: Out\r\n"
    b"Message-ID: <out@example.org>\r\n\r\nHello Carol\r\n"
)


def _relayed(settings: Settings, port: int, **more: object) -> Settings:
    values: dict[str, object] = {
        "smtp_relay": f"127.0.0.1:{port}",
        "smtp_relay_security": "none",
        "smtp_relay_timeout_seconds": 5.0,
        "smtp_retry_initial_seconds": 0.05,
        **more,
    }
    return msgspec.structs.replace(settings, **values)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _queue(store: Store) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """Every message still queued: (state, [(address, state, reply)])."""

    def read(txn: ReadTxn) -> list[tuple[str, list[tuple[str, str, str]]]]:
        found = [txn.outbound_message(i) for i in txn.outbound_due(1e12, 100)]
        return [
            (m.state, [(r.address, r.state, r.reply) for r in m.recipients]) for m in found if m
        ]

    return await store.read(read)


async def test_accepting_relay_gets_the_message_once(
    store: Store, settings: Settings, accounts: dict[str, str]
) -> None:
    handler = SinkHandler()
    async with sink(handler) as port:
        relayed = _relayed(settings, port)
        runner = OutboundRunner(store, relayed)
        await send_message(
            store,
            relayed,
            mail_from="alice@example.org",
            recipients=["carol@remote.test", "bob@example.org"],
            raw=RAW,
        )
        assert len(await emails(store, accounts["bob"])) == 1  # local copy: at once
        await runner.run_due()
        await runner.idle()
        await runner.run_due()
        await runner.idle()
    [got] = handler.received
    assert got.mail_from == "alice@example.org"
    assert got.rcpt_tos == ["carol@remote.test"]
    assert got.data.replace(b"\r\n", b"\n") == RAW.replace(b"\r\n", b"\n")
    assert await _queue(store) == []


async def test_refusing_relay_bounces_a_dsn_into_the_sender_inbox(
    store: Store, settings: Settings, accounts: dict[str, str]
) -> None:
    handler = SinkHandler(refuse={"carol@remote.test"})
    async with sink(handler) as port:
        relayed = _relayed(settings, port)
        runner = OutboundRunner(store, relayed)
        await send_message(
            store,
            relayed,
            mail_from="alice@example.org",
            recipients=["carol@remote.test"],
            raw=RAW,
        )
        await runner.run_due()
        await runner.idle()
    assert handler.received == []
    [bounce] = await emails(store, accounts["alice"])
    data = store.blobs.open(str(bounce.data["blobId"]))
    assert data is not None
    report = message_from_bytes(data)
    assert report.get_content_type() == "multipart/report"
    assert report.get_param("report-type") == "delivery-status"
    status = data.decode()
    assert "Final-Recipient: rfc822; carol@remote.test" in status
    assert "Status: 5.1.1" in status
    assert "550 5.1.1 <carol@remote.test>: Recipient address rejected" in status
    assert "Message-ID: <out@example.org>" in status  # the original header is attached


async def test_relay_down_is_retried_then_delivered(
    store: Store, settings: Settings, accounts: dict[str, str]
) -> None:
    port = _free_port()
    relayed = _relayed(settings, port)
    runner = OutboundRunner(store, relayed)
    await send_message(
        store, relayed, mail_from="alice@example.org", recipients=["carol@remote.test"], raw=RAW
    )
    await runner.run_due()
    await runner.idle()
    message = store.read_sync(lambda t: t.outbound_due(1e12, 10))
    [queued] = [store.read_sync(lambda t, i=i: t.outbound_message(i)) for i in message]
    assert queued is not None and queued.state == "queued" and queued.attempts == 1
    assert queued.recipients[0].reply.startswith("451 4.4.1")
    assert await emails(store, accounts["alice"]) == []  # no bounce for a temporary failure
    handler = SinkHandler()
    async with sink(handler, port):
        await asyncio.sleep(0.06)  # the first retry delay
        await runner.run_due()
        await runner.idle()
    assert [r.rcpt_tos for r in handler.received] == [["carol@remote.test"]]
    assert await _queue(store) == []


async def test_retry_window_exhausted_bounces(
    store: Store, settings: Settings, accounts: dict[str, str]
) -> None:
    relayed = _relayed(settings, _free_port(), smtp_retry_window_seconds=0)
    runner = OutboundRunner(store, relayed)
    await send_message(
        store, relayed, mail_from="alice@example.org", recipients=["carol@remote.test"], raw=RAW
    )
    await runner.run_due()
    await runner.idle()
    [bounce] = await emails(store, accounts["alice"])
    data = store.blobs.open(str(bounce.data["blobId"]))
    assert data is not None and b"Status: 4.4.7" in data


async def test_a_stalled_relay_conversation_does_not_hold_up_others(
    store: Store, settings: Settings, accounts: dict[str, str]
) -> None:
    handler = SinkHandler(stall={"slow@remote.test"})
    async with sink(handler) as port:
        relayed = _relayed(settings, port, smtp_relay_timeout_seconds=0.5)
        runner = OutboundRunner(store, relayed)
        for rcpt in ("slow@remote.test", "fast@remote.test"):
            await send_message(
                store, relayed, mail_from="alice@example.org", recipients=[rcpt], raw=RAW
            )
        await runner.run_due()
        await asyncio.wait_for(handler.arrived.wait(), 2.0)
        assert [r.rcpt_tos for r in handler.received] == [["fast@remote.test"]]
        await runner.idle()  # the stalled one times out: retried later, not lost
    [(state, [(address, rcpt_state, reply)])] = await _queue(store)
    assert (state, address, rcpt_state) == ("queued", "slow@remote.test", "queued")
    assert reply.startswith("451 4.4.1")


async def test_queued_message_is_sent_once_after_reopening_the_store(
    tmp_path: Path, settings: Settings
) -> None:
    data_dir = tmp_path / "restart"
    first = SqliteStore.open(data_dir)
    relayed = _relayed(settings, _free_port())
    await send_message(first, relayed, mail_from="", recipients=["carol@remote.test"], raw=RAW)
    await first.close()
    second = SqliteStore.open(data_dir)
    try:
        handler = SinkHandler()
        async with sink(handler) as port:
            again = _relayed(settings, port)
            runners = [OutboundRunner(second, again), OutboundRunner(second, again)]
            for _ in range(2):
                for runner in runners:
                    await runner.run_due()
                await asyncio.gather(*(r.idle() for r in runners))
        assert [r.rcpt_tos for r in handler.received] == [["carol@remote.test"]]
    finally:
        await second.close()


# aiosmtpd's own warnings when a test relay takes AUTH without TLS, and on every login.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.filterwarnings("ignore:Session.login_data is deprecated:DeprecationWarning")
async def test_relay_auth_uses_the_configured_credentials(
    store: Store, settings: Settings, accounts: dict[str, str]
) -> None:
    logins: list[tuple[bytes, bytes]] = []

    def authenticator(
        server: object, session: object, envelope: object, mechanism: str, data: object
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        logins.append((data.login, data.password))
        if data.password != b"relay-secret":
            return AuthResult(success=False, handled=False)  # aiosmtpd answers 535
        return AuthResult(success=True, auth_data=data)

    handler = SinkHandler()
    async with sink(
        handler, authenticator=authenticator, auth_required=True, auth_require_tls=False
    ) as port:
        for password in ("wrong", "relay-secret"):
            relayed = _relayed(
                settings, port, smtp_relay_username="satchel", smtp_relay_password=password
            )
            await send_message(
                store, relayed, mail_from="", recipients=["carol@remote.test"], raw=RAW
            )
            runner = OutboundRunner(store, relayed)
            await runner.run_due()
            await runner.idle()
    # PLAIN, then LOGIN with the wrong password; PLAIN with the right one.
    assert logins == [(b"satchel", b"wrong")] * 2 + [(b"satchel", b"relay-secret")]
    # A refused login fails the attempt, to be retried (not bounced): a fixed password sends.
    assert [r.rcpt_tos for r in handler.received] == [["carol@remote.test"]]
    [(state, [(_, rcpt_state, reply)])] = await _queue(store)
    assert (state, rcpt_state) == ("queued", "queued") and "535" in reply


async def test_the_serving_runner_is_woken_by_new_mail(
    store: Store, settings: Settings, accounts: dict[str, str]
) -> None:
    handler = SinkHandler()
    async with sink(handler) as port:
        relayed = _relayed(settings, port)
        async with running(store, relayed):
            await asyncio.sleep(0)  # the loop is waiting (poll: 30 s) when the mail comes
            await send_message(
                store, relayed, mail_from="", recipients=["carol@remote.test"], raw=RAW
            )
            await asyncio.wait_for(handler.arrived.wait(), 5.0)
    assert [r.rcpt_tos for r in handler.received] == [["carol@remote.test"]]


async def test_shutdown_mid_attempt_gives_the_message_back(
    store: Store, settings: Settings, accounts: dict[str, str]
) -> None:
    handler = SinkHandler(stall={"carol@remote.test"})
    async with sink(handler) as port:
        relayed = _relayed(settings, port)
        async with running(store, relayed):
            await send_message(
                store, relayed, mail_from="", recipients=["carol@remote.test"], raw=RAW
            )
            await asyncio.wait_for(handler.data_started.wait(), 5.0)  # mid-attempt
    # Due again at once for the next process, not only after the lease runs out.
    due = await store.read(lambda txn: txn.outbound_due(time.time(), 10))
    assert len(due) == 1
