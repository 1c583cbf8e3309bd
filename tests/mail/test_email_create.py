"""Email/set create (RFC 8621 section 4.6): composed messages stored through ingest and read
back through Email/get as any delivered message."""

from __future__ import annotations

import time

from mail_client import MailClient, multipart_message


async def _upload(mail: MailClient, data: bytes) -> str:
    blob_id = mail.store.blobs.put(data)
    await mail.store.write(
        mail.account_id,
        lambda txn: txn.add_blob(blob_id, len(data), "application/octet-stream", time.time() + 60),
    )
    return blob_id


def _draft(drafts: str, **extra: object) -> dict[str, object]:
    return {
        "mailboxIds": {drafts: True},
        "keywords": {"$draft": True, "$seen": True},
        "from": [{"name": "Alice Ärger", "email": "alice@example.com"}],
        "to": [{"name": None, "email": "bob@example.com"}],
        "subject": "Grüße",
        "textBody": [{"partId": "t", "type": "text/plain"}],
        "bodyValues": {"t": {"value": "Hello Bob,\nsee you.\n"}},
        **extra,
    }


async def test_create_a_draft_and_read_it_back(mail: MailClient) -> None:
    drafts = await mail.mailbox_id("drafts")
    result = await mail.ok("Email/set", create={"d": _draft(drafts)})
    created = result["created"]["d"]
    assert set(created) == {"id", "blobId", "threadId", "size"}
    assert result["oldState"] != result["newState"]
    email = (
        await mail.ok(
            "Email/get",
            ids=[created["id"]],
            properties=[
                "from",
                "to",
                "subject",
                "keywords",
                "mailboxIds",
                "bodyValues",
                "textBody",
                "messageId",
                "size",
            ],
            fetchTextBodyValues=True,
        )
    )["list"][0]
    assert email["from"] == [{"name": "Alice Ärger", "email": "alice@example.com"}]
    assert email["to"] == [{"name": None, "email": "bob@example.com"}]
    assert email["subject"] == "Grüße"
    assert email["keywords"] == {"$draft": True, "$seen": True}
    assert email["mailboxIds"] == {drafts: True}
    [value] = email["bodyValues"].values()
    assert value["value"] == "Hello Bob,\nsee you.\n"
    assert email["messageId"] and email["messageId"][0].endswith("@localhost")
    assert email["size"] == created["size"]
    raw = mail.store.blobs.open(created["blobId"])
    assert raw is not None and b"\r\n\r\n" in raw


async def test_create_with_html_and_an_attachment(mail: MailClient) -> None:
    drafts = await mail.mailbox_id("drafts")
    blob_id = await _upload(mail, b"%PDF-1.4 fake")
    draft = _draft(
        drafts,
        htmlBody=[{"partId": "h", "type": "text/html"}],
        attachments=[{"blobId": blob_id, "type": "application/pdf", "name": "a.pdf"}],
    )
    draft["bodyValues"] = {"t": {"value": "plain"}, "h": {"value": "<p>html</p>"}}
    result = await mail.ok("Email/set", create={"d": draft})
    email_id = result["created"]["d"]["id"]
    email = (await mail.ok("Email/get", ids=[email_id]))["list"][0]
    assert email["hasAttachment"] is True
    [attachment] = email["attachments"]
    assert (attachment["name"], attachment["type"]) == ("a.pdf", "application/pdf")
    assert [p["type"] for p in email["htmlBody"]] == ["text/html"]


async def test_an_attachment_may_be_a_part_of_another_message(mail: MailClient) -> None:
    source = await mail.deliver(multipart_message())
    [pdf] = (await mail.ok("Email/get", ids=[source], properties=["attachments"]))["list"][0][
        "attachments"
    ]
    drafts = await mail.mailbox_id("drafts")
    forward = _draft(
        drafts,
        attachments=[{"blobId": pdf["blobId"], "type": "application/pdf", "name": "report.pdf"}],
    )
    result = await mail.ok("Email/set", create={"f": forward})
    assert result["notCreated"] is None, result["notCreated"]


async def test_create_rules(mail: MailClient) -> None:
    drafts = await mail.mailbox_id("drafts")
    no_box = _draft(drafts, mailboxIds={})
    no_value = _draft(drafts, bodyValues={})
    both = _draft(drafts, bodyStructure={"partId": "t", "type": "text/plain"})
    server_set = _draft(drafts, id="x")
    missing_blob = _draft(drafts, attachments=[{"blobId": "Gnope", "type": "image/png"}])
    result = await mail.ok(
        "Email/set",
        create={"a": no_box, "b": no_value, "c": both, "d": server_set, "e": missing_blob},
    )
    failed = result["notCreated"]
    assert result["created"] is None
    assert failed["a"]["properties"] == ["mailboxIds"]
    assert failed["b"]["properties"] == ["textBody/0/partId"]
    assert failed["c"]["properties"] == ["bodyStructure"]
    assert failed["d"]["properties"] == ["id"]
    assert failed["e"] == {
        "type": "blobNotFound",
        "description": "attachment blobs not found",
        "notFound": ["Gnope"],
    }


async def test_create_then_update_by_creation_id_in_one_call(mail: MailClient) -> None:
    drafts = await mail.mailbox_id("drafts")
    result = await mail.ok(
        "Email/set",
        create={"d": _draft(drafts)},
        update={"#d": {"keywords/$flagged": True}},
    )
    email_id = result["created"]["d"]["id"]
    assert result["updated"] == {email_id: None}
    got = await mail.ok("Email/get", ids=[email_id], properties=["keywords"])
    assert got["list"][0]["keywords"]["$flagged"] is True


async def test_create_from_a_body_structure(mail: MailClient) -> None:
    drafts = await mail.mailbox_id("drafts")
    draft = _draft(drafts)
    del draft["textBody"]
    draft["bodyStructure"] = {
        "type": "multipart/alternative",
        "subParts": [
            {"partId": "t", "type": "text/plain"},
            {"partId": "h", "type": "text/html"},
        ],
    }
    draft["bodyValues"] = {"t": {"value": "plain"}, "h": {"value": "<b>rich</b>"}}
    result = await mail.ok("Email/set", create={"s": draft})
    email_id = result["created"]["s"]["id"]
    got = await mail.ok("Email/get", ids=[email_id], properties=["bodyStructure"])
    assert got["list"][0]["bodyStructure"]["type"] == "multipart/alternative"


async def test_create_with_extra_header_properties(mail: MailClient) -> None:
    drafts = await mail.mailbox_id("drafts")
    draft = _draft(drafts, **{"header:X-Mailer:asText": "Satchel tests", "header:List-Id": " x"})
    result = await mail.ok("Email/set", create={"h": draft})
    email_id = result["created"]["h"]["id"]
    got = await mail.ok("Email/get", ids=[email_id], properties=["header:X-Mailer:asText"])
    assert got["list"][0]["header:X-Mailer:asText"] == "Satchel tests"
    refused = _draft(drafts, **{"header:From:asAddresses": [{"email": "x@example.com"}]})
    result = await mail.ok("Email/set", create={"r": refused})
    assert result["notCreated"]["r"]["properties"] == ["header:From:asAddresses"]
