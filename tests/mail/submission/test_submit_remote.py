"""EmailSubmission to remote recipients through a real SMTP relay on a local socket: the
relay's replies show in deliveryStatus, and a refusal bounces a DSN that the submission lists
in dsnBlobIds."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest
from relay_sink import SinkHandler, sink
from submission_client import SubmissionClient

from satchel.config import Settings
from satchel.smtp.outbound.runner import OutboundRunner
from satchel.store.base import Store


@pytest.fixture
def handler() -> SinkHandler:
    return SinkHandler(refuse={"nobody@remote.test"})


async def _submit_remote(alice: SubmissionClient, *rcpts: str) -> str:
    to = [{"name": None, "email": r} for r in rcpts]
    draft = await alice.draft(to=to)
    response = await alice.submit(draft)
    return str(response["methodResponses"][0][1]["created"]["s"]["id"])


async def test_relay_replies_and_bounces_reach_the_submission(
    store: Store, tmp_path: Path, handler: SinkHandler
) -> None:
    async with sink(handler) as port:
        settings = Settings(
            data_dir=str(tmp_path / "data"),
            domain="example.org",
            smtp_relay=f"127.0.0.1:{port}",
            smtp_relay_security="none",
            smtp_relay_timeout_seconds=5.0,
        )
        alice = SubmissionClient(store, settings, "alice")
        submission_id = await _submit_remote(alice, "carol@remote.test", "nobody@remote.test")
        [pending] = (await alice.ok("EmailSubmission/get", ids=[submission_id]))["list"]
        assert pending["deliveryStatus"]["carol@remote.test"]["delivered"] == "queued"
        runner = OutboundRunner(store, msgspec.structs.replace(settings))
        await runner.run_due()
        await runner.idle()
    [got] = handler.received
    assert got.mail_from == "alice@example.org" and got.rcpt_tos == ["carol@remote.test"]
    assert b"Subject: Lunch?" in got.data and b"Bcc:" not in got.data
    [submission] = (await alice.ok("EmailSubmission/get", ids=[submission_id]))["list"]
    status = submission["deliveryStatus"]
    assert status["carol@remote.test"] == {
        "smtpReply": "250 2.1.5 OK",
        "delivered": "unknown",
        "displayed": "unknown",
    }
    assert status["nobody@remote.test"]["delivered"] == "no"
    assert status["nobody@remote.test"]["smtpReply"].startswith("550 5.1.1")
    assert submission["undoStatus"] == "final"
    [dsn_blob] = submission["dsnBlobIds"]
    dsn = store.blobs.open(dsn_blob)
    assert dsn is not None and b"report-type=delivery-status" in dsn
    assert b"Final-Recipient: rfc822; nobody@remote.test" in dsn
    # The bounce is also in alice's Inbox as an Email whose blob is that DSN.
    inbox = await alice.mailbox_id("inbox")
    ids = (await alice.ok("Email/query", filter={"inMailbox": inbox}))["ids"]
    emails = (await alice.ok("Email/get", ids=ids, properties=["blobId"]))["list"]
    assert [e["blobId"] for e in emails] == [dsn_blob]
