"""Email/parse (RFC 8621 section 4.9): attached messages and uploads parsed on demand."""

from __future__ import annotations

import time

from mail_client import MailClient, message


def _with_attached_message(inner: bytes) -> bytes:
    return (
        b"From: Dan <dan@example.com>\r\n"
        b"To: alice@example.com\r\n"
        b"Subject: Fwd: Plans\r\n"
        b"Message-ID: <outer@x>\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="o"\r\n'
        b"\r\n"
        b"--o\r\n"
        b"Content-Type: text/plain\r\n"
        b"\r\n"
        b"See below.\r\n"
        b"--o\r\n"
        b"Content-Type: message/rfc822\r\n"
        b"\r\n" + inner + b"\r\n--o--\r\n"
    )


async def test_parse_an_attached_message(mail: MailClient) -> None:
    inner = message("Plans", message_id="<inner@x>", body="Meet at noon.\r\n")
    email_id = await mail.deliver(_with_attached_message(inner))
    [attached] = (await mail.ok("Email/get", ids=[email_id], properties=["attachments"]))["list"][
        0
    ]["attachments"]
    assert attached["type"] == "message/rfc822"
    result = await mail.ok(
        "Email/parse", blobIds=[attached["blobId"], "Gmissing"], fetchTextBodyValues=True
    )
    parsed = result["parsed"][attached["blobId"]]
    assert parsed["subject"] == "Plans"
    assert parsed["messageId"] == ["inner@x"]
    [value] = parsed["bodyValues"].values()
    assert value["value"] == "Meet at noon.\n"
    assert result["notFound"] == ["Gmissing"]
    assert result["notParsable"] is None


async def test_parse_an_upload_with_metadata_null(mail: MailClient) -> None:
    raw = message("Uploaded")
    blob_id = mail.store.blobs.put(raw)
    await mail.store.write(
        mail.account_id,
        lambda txn: txn.add_blob(blob_id, len(raw), "message/rfc822", time.time() + 60),
    )
    result = await mail.ok(
        "Email/parse",
        blobIds=[blob_id],
        properties=["id", "mailboxIds", "size", "subject", "header:Subject:asText"],
    )
    assert result["parsed"][blob_id] == {
        "id": None,
        "mailboxIds": None,
        "size": len(raw),
        "subject": "Uploaded",
        "header:Subject:asText": "Uploaded",
    }


async def test_parse_rejects_bad_properties(mail: MailClient) -> None:
    error = await mail.error("Email/parse", blobIds=[], properties=["header:From:asDate"])
    assert error["type"] == "invalidArguments"
    assert (await mail.error("Email/parse"))["type"] == "invalidArguments"
