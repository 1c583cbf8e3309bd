"""Email/import (RFC 8621 section 4.8): uploaded blobs become Emails, each on its own."""

from __future__ import annotations

import time

from mail_client import MailClient, message


async def _upload(mail: MailClient, raw: bytes) -> str:
    blob_id = mail.store.blobs.put(raw)
    await mail.store.write(
        mail.account_id,
        lambda txn: txn.add_blob(blob_id, len(raw), "message/rfc822", time.time() + 3600),
    )
    return blob_id


async def test_import_creates_emails_with_the_given_metadata(mail: MailClient) -> None:
    raw = message("Imported", message_id="<imp@x>")
    blob_id = await _upload(mail, raw)
    archive = await mail.mailbox_id("archive")
    state = (await mail.ok("Email/get", ids=[]))["state"]
    result = await mail.ok(
        "Email/import",
        ifInState=state,
        emails={
            "i1": {
                "blobId": blob_id,
                "mailboxIds": {archive: True},
                "keywords": {"$seen": True},
                "receivedAt": "2024-05-01T12:00:00Z",
            }
        },
    )
    created = result["created"]["i1"]
    assert set(created) == {"id", "blobId", "threadId", "size"}
    assert created["blobId"] == blob_id and created["size"] == len(raw)
    assert result["oldState"] == state and result["newState"] != state
    email = (await mail.ok("Email/get", ids=[created["id"]]))["list"][0]
    assert email["mailboxIds"] == {archive: True}
    assert email["keywords"] == {"$seen": True}
    assert email["receivedAt"] == "2024-05-01T12:00:00Z"
    assert email["subject"] == "Imported"


async def test_bad_imports_fail_one_by_one(mail: MailClient) -> None:
    blob_id = await _upload(mail, message())
    inbox = await mail.mailbox_id("inbox")
    result = await mail.ok(
        "Email/import",
        emails={
            "ok": {"blobId": blob_id, "mailboxIds": {inbox: True}},
            "no-mailbox": {"blobId": blob_id, "mailboxIds": {}},
            "unknown-mailbox": {"blobId": blob_id, "mailboxIds": {"nope": True}},
            "no-blob": {"blobId": "missing", "mailboxIds": {inbox: True}},
            "bad-keyword": {
                "blobId": blob_id,
                "mailboxIds": {inbox: True},
                "keywords": {"(": True},
            },
        },
    )
    assert list(result["created"]) == ["ok"]
    failed = result["notCreated"]
    assert failed["no-mailbox"]["properties"] == ["mailboxIds"]
    assert failed["unknown-mailbox"]["properties"] == ["mailboxIds"]
    assert failed["no-blob"]["properties"] == ["blobId"]
    assert failed["bad-keyword"]["properties"] == ["keywords"]
    assert all(f["type"] == "invalidProperties" for f in failed.values())


async def test_another_accounts_blob_cannot_be_imported(mail: MailClient) -> None:
    raw = message("secret")
    blob_id = mail.store.blobs.put(raw)  # bytes exist, but no row for this account
    inbox = await mail.mailbox_id("inbox")
    result = await mail.ok(
        "Email/import", emails={"x": {"blobId": blob_id, "mailboxIds": {inbox: True}}}
    )
    assert result["notCreated"]["x"]["properties"] == ["blobId"]


async def test_import_state_mismatch(mail: MailClient) -> None:
    blob_id = await _upload(mail, message())
    inbox = await mail.mailbox_id("inbox")
    error = await mail.error(
        "Email/import",
        ifInState="garbage",
        emails={"x": {"blobId": blob_id, "mailboxIds": {inbox: True}}},
    )
    assert error["type"] == "stateMismatch"


async def test_a_read_only_account_cannot_import(mail: MailClient) -> None:
    error = await mail.error("Email/import", accountId=mail.accounts[1].id, emails={})
    assert error["type"] == "accountReadOnly"


async def test_import_an_attached_message_by_its_part_blob_id(mail: MailClient) -> None:
    inner = message("Inner", message_id="<inner-import@x>")
    outer = (
        b"From: a@example.com\r\nSubject: Fwd\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="o"\r\n\r\n'
        b"--o\r\nContent-Type: text/plain\r\n\r\nsee\r\n"
        b"--o\r\nContent-Type: message/rfc822\r\n\r\n" + inner + b"\r\n--o--\r\n"
    )
    outer_id = await mail.deliver(outer)
    [attached] = (await mail.ok("Email/get", ids=[outer_id], properties=["attachments"]))["list"][
        0
    ]["attachments"]
    inbox = await mail.mailbox_id("inbox")
    result = await mail.ok(
        "Email/import", emails={"i": {"blobId": attached["blobId"], "mailboxIds": {inbox: True}}}
    )
    email_id = result["created"]["i"]["id"]
    got = await mail.ok("Email/get", ids=[email_id], properties=["subject", "messageId"])
    assert got["list"][0] == {"id": email_id, "subject": "Inner", "messageId": ["inner-import@x"]}


async def test_ingest_refuses_too_many_mailboxes(mail: MailClient) -> None:
    ids: list[str] = []
    for batch in (range(40), range(40, 65)):
        created = await mail.ok("Mailbox/set", create={str(n): {"name": f"Box {n}"} for n in batch})
        ids += [c["id"] for c in created["created"].values()]
    blob_id = await _upload(mail, message())
    result = await mail.ok(
        "Email/import",
        emails={"i": {"blobId": blob_id, "mailboxIds": dict.fromkeys(ids, True)}},
    )
    assert result["notCreated"]["i"]["properties"] == ["mailboxIds"]
