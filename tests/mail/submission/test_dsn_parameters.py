"""The DSN extension (RFC 3461) as Satchel implements it for EmailSubmission: NOTIFY chooses
which notices the sender gets (success for local delivery, none at all with NEVER), ORCPT and
ENVID appear in them, RET=FULL returns the whole message."""

from __future__ import annotations

from pathlib import Path

import msgspec
from relay_sink import SinkHandler, sink
from submission_client import SubmissionClient

from satchel.config import Settings
from satchel.smtp.outbound.runner import OutboundRunner
from satchel.store.base import Store


def _rcpt(email: str, **params: str) -> dict[str, object]:
    return {"email": email, "parameters": params or None}


async def _inbox_blobs(client: SubmissionClient) -> list[bytes]:
    inbox = await client.mailbox_id("inbox")
    ids = (await client.ok("Email/query", filter={"inMailbox": inbox}))["ids"]
    emails = (await client.ok("Email/get", ids=ids, properties=["blobId"]))["list"]
    blobs = [client.store.blobs.open(e["blobId"]) for e in emails]
    return [b for b in blobs if b is not None]


async def test_notify_success_gives_a_delivered_notice_with_orcpt_envid_and_full_return(
    alice: SubmissionClient, bob: SubmissionClient
) -> None:
    envelope = {
        "mailFrom": {
            "email": "alice@example.org",
            "parameters": {"ENVID": "QQ314159", "RET": "FULL"},
        },
        "rcptTo": [
            _rcpt("bob@example.org", NOTIFY="SUCCESS,FAILURE", ORCPT="rfc822;Bob@Example.org")
        ],
    }
    response = await alice.submit(await alice.draft(), envelope=envelope)
    submission_id = response["methodResponses"][0][1]["created"]["s"]["id"]
    [notice] = await _inbox_blobs(alice)
    assert b"report-type=delivery-status" in notice
    assert b"Subject: Successful Mail Delivery Report" in notice
    assert b"Original-Envelope-Id: QQ314159" in notice
    assert b"Original-Recipient: rfc822;Bob@Example.org" in notice
    assert b"Action: delivered" in notice and b"Status: 2.1.5" in notice
    assert b"Content-Type: message/rfc822" in notice and b"Shall we?" in notice
    [got] = (await alice.ok("EmailSubmission/get", ids=[submission_id]))["list"]
    assert len(got["dsnBlobIds"]) == 1
    assert got["deliveryStatus"]["bob@example.org"]["delivered"] == "yes"


async def test_default_notify_sends_no_success_notice(
    alice: SubmissionClient, bob: SubmissionClient
) -> None:
    await alice.submit(await alice.draft())
    assert await _inbox_blobs(alice) == []


async def test_notify_never_suppresses_the_bounce(store: Store, tmp_path: Path) -> None:
    handler = SinkHandler(refuse={"carol@remote.test", "dave@remote.test"})
    async with sink(handler) as port:
        settings = Settings(
            data_dir=str(tmp_path / "data"),
            domain="example.org",
            smtp_relay=f"127.0.0.1:{port}",
            smtp_relay_security="none",
        )
        alice = SubmissionClient(store, settings, "alice")
        envelope = {
            "mailFrom": {"email": "alice@example.org", "parameters": None},
            "rcptTo": [_rcpt("carol@remote.test", NOTIFY="NEVER"), _rcpt("dave@remote.test")],
        }
        response = await alice.submit(await alice.draft(), envelope=envelope)
        submission_id = response["methodResponses"][0][1]["created"]["s"]["id"]
        runner = OutboundRunner(store, msgspec.structs.replace(settings))
        await runner.run_due()
        await runner.idle()
    [bounce] = await _inbox_blobs(alice)  # dave's failure only
    assert b"Final-Recipient: rfc822; dave@remote.test" in bounce
    assert b"carol@remote.test>: 550" not in bounce
    [got] = (await alice.ok("EmailSubmission/get", ids=[submission_id]))["list"]
    assert got["deliveryStatus"]["carol@remote.test"]["delivered"] == "no"


async def test_bad_dsn_parameters_are_refused(
    alice: SubmissionClient, bob: SubmissionClient
) -> None:
    draft = await alice.draft()
    for rcpt in (
        _rcpt("bob@example.org", NOTIFY="SUCCESS,NEVER"),
        _rcpt("bob@example.org", ORCPT="no-semicolon"),
        _rcpt("bob@example.org", XFOO="1"),
    ):
        envelope = {
            "mailFrom": {"email": "alice@example.org", "parameters": None},
            "rcptTo": [rcpt],
        }
        error = await alice.not_created(draft, envelope=envelope)
        assert error["type"] == "invalidProperties" and error["properties"] == ["envelope"]
    envelope = {
        "mailFrom": {"email": "alice@example.org", "parameters": {"RET": "SOME"}},
        "rcptTo": [_rcpt("bob@example.org")],
    }
    error = await alice.not_created(draft, envelope=envelope)
    assert error["type"] == "invalidProperties" and "RET" in error["description"]
    capability = alice.registry.capabilities["urn:ietf:params:jmap:submission"]
    value = capability.account_value(alice.accounts[0])
    assert value is not None and value["submissionExtensions"]["DSN"] == []
