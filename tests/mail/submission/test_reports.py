"""DSNs and MDNs coming back (RFC 8621 section 7): stored through the ingest path into the
sender's account, they are linked to the EmailSubmission by the original Message-ID, listed in
dsnBlobIds/mdnBlobIds and reflected in deliveryStatus."""

from __future__ import annotations

from submission_client import SubmissionClient

from satchel.mail.ingest import Incoming, ingest

ORIGINAL_ID = "lunch.0@example.org"


def _report(report_type: str, kind: str, fields: str) -> bytes:
    return (
        "From: postmaster@example.org\r\nTo: alice@example.org\r\n"
        "Subject: report\r\nMessage-ID: <r1@example.org>\r\nMIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type={report_type}; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nA report.\r\n"
        f"--b\r\nContent-Type: {kind}\r\n\r\n{fields}\r\n"
        "--b\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: alice@example.org\r\nMessage-ID: <{ORIGINAL_ID}>\r\n\r\n"
        "--b--\r\n"
    ).encode()


async def _sent(alice: SubmissionClient) -> str:
    response = await alice.submit(await alice.draft())
    return str(response["methodResponses"][0][1]["created"]["s"]["id"])


async def test_dsn_and_mdn_update_the_submission(
    alice: SubmissionClient, bob: SubmissionClient
) -> None:
    submission_id = await _sent(alice)
    dsn = _report(
        "delivery-status",
        "message/delivery-status",
        "Reporting-MTA: dns; mx.example.org\r\n\r\n"
        "Final-Recipient: rfc822; bob@example.org\r\nAction: delivered\r\nStatus: 2.0.0\r\n"
        "Diagnostic-Code: smtp; 250 2.0.0 stored",
    )
    await ingest(alice.store, alice.account_id, Incoming(dsn))
    mdn = _report(
        "disposition-notification",
        "message/disposition-notification",
        "Reporting-UA: mua.example.org\r\nFinal-Recipient: rfc822; bob@example.org\r\n"
        f"Original-Message-ID: <{ORIGINAL_ID}>\r\n"
        "Disposition: manual-action/MDN-sent-manually; displayed",
    )
    await ingest(alice.store, alice.account_id, Incoming(mdn))
    [got] = (await alice.ok("EmailSubmission/get", ids=[submission_id]))["list"]
    assert len(got["dsnBlobIds"]) == 1 and len(got["mdnBlobIds"]) == 1
    stored = alice.store.blobs.open(got["mdnBlobIds"][0])
    assert stored is not None and stored.endswith(mdn)
    assert got["deliveryStatus"]["bob@example.org"] == {
        "smtpReply": "250 2.0.0 stored",
        "delivered": "yes",
        "displayed": "yes",
    }


async def test_unrelated_reports_and_plain_mail_change_nothing(
    alice: SubmissionClient, bob: SubmissionClient
) -> None:
    submission_id = await _sent(alice)
    [before] = (await alice.ok("EmailSubmission/get", ids=[submission_id]))["list"]
    other = _report(
        "delivery-status",
        "message/delivery-status",
        "Reporting-MTA: dns; mx\r\n\r\nFinal-Recipient: rfc822; bob@example.org\r\n"
        "Action: failed\r\nStatus: 5.0.0",
    ).replace(ORIGINAL_ID.encode(), b"someone-else@example.org")
    await ingest(alice.store, alice.account_id, Incoming(other))
    await ingest(alice.store, alice.account_id, Incoming(b"Subject: hi\r\n\r\nplain\r\n"))
    [after] = (await alice.ok("EmailSubmission/get", ids=[submission_id]))["list"]
    assert after == before
