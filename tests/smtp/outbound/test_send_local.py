"""send_message to local recipients: the copy lands in the recipient's account through the
ingest path, with trace fields, on the suite's real store."""

from __future__ import annotations

from lmtp_support import emails, mailbox_ids_by_role

from satchel.config import Settings
from satchel.smtp.outbound.outbox import send_message
from satchel.store.base import Store

RAW = (
    b"From: Alice <alice@example.org>\r\nTo: bob@example.org\r\nSubject: Hi\r\n"
    b"Message-ID: <hi@example.org>\r\n\r\nHello Bob\r\n"
)


async def _raw_of(store: Store, blob_id: str) -> bytes:
    data = store.blobs.open(blob_id)
    assert data is not None
    return data


async def test_local_recipient_gets_the_message_in_inbox(
    store: Store, settings: Settings, accounts: dict[str, str]
) -> None:
    await send_message(
        store, settings, mail_from="alice@example.org", recipients=["BOB@Example.org"], raw=RAW
    )
    [email] = await emails(store, accounts["bob"])
    inbox = (await mailbox_ids_by_role(store, accounts["bob"]))["inbox"]
    assert email.data["mailboxIds"] == {inbox: True}
    stored = await _raw_of(store, str(email.data["blobId"]))
    assert stored.startswith(b"Return-Path: <alice@example.org>\r\n")
    assert b"Delivered-To: BOB@Example.org\r\n" in stored
    assert stored.endswith(RAW)
    assert await emails(store, accounts["alice"]) == []


async def test_plus_address_goes_to_the_named_mailbox_and_unknown_users_get_nothing(
    store: Store, settings: Settings, accounts: dict[str, str]
) -> None:
    await send_message(
        store,
        settings,
        mail_from="",
        recipients=["bob+junk@mail.example.org", "nobody@example.org"],
        raw=RAW,
    )
    [email] = await emails(store, accounts["bob"])
    junk = (await mailbox_ids_by_role(store, accounts["bob"]))["junk"]
    assert email.data["mailboxIds"] == {junk: True}


async def test_unknown_local_user_bounces_to_a_local_sender(
    store: Store, settings: Settings, accounts: dict[str, str]
) -> None:
    await send_message(
        store,
        settings,
        mail_from="alice@example.org",
        recipients=["nobody@example.org", "bob@example.org"],
        raw=RAW,
    )
    assert len(await emails(store, accounts["bob"])) == 1
    [bounce] = await emails(store, accounts["alice"])
    dsn = await _raw_of(store, str(bounce.data["blobId"]))
    assert b"Final-Recipient: rfc822; nobody@example.org" in dsn
    assert b"Status: 5.1.1" in dsn and b"Action: failed" in dsn
    assert b"Return-Path: <>" in dsn  # a bounce has the null sender: it never bounces itself
