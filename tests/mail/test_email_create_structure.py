"""Email/set create (RFC 8621 section 4.6) with a bodyStructure written as given, the
textBody/htmlBody/attachments tree with multipart/related for cid-referenced inline parts, and
header:{name}:as{Form} properties; read back through Email/get."""

from __future__ import annotations

import time
from typing import Any

import pytest
from mail_client import MailClient

from satchel.mail.part_blobs import read_blob

_PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR fake image"


async def _upload(mail: MailClient, data: bytes) -> str:
    blob_id = mail.store.blobs.put(data)
    await mail.store.write(
        mail.account_id,
        lambda txn: txn.add_blob(blob_id, len(data), "application/octet-stream", time.time() + 60),
    )
    return blob_id


def _email(drafts: str, **extra: Any) -> dict[str, Any]:
    return {
        "mailboxIds": {drafts: True},
        "from": [{"name": "Alice", "email": "alice@example.com"}],
        "subject": "Structure",
        **extra,
    }


def _shape(part: dict[str, Any]) -> Any:
    """The tree of a bodyStructure: type, or (type, [children])."""
    if part.get("subParts"):
        return (part["type"], [_shape(p) for p in part["subParts"]])
    return part["type"]


async def _create(mail: MailClient, email: dict[str, Any]) -> str:
    result = await mail.ok("Email/set", create={"c": email})
    assert result["notCreated"] is None, result["notCreated"]
    return str(result["created"]["c"]["id"])


async def _get(mail: MailClient, email_id: str, *properties: str) -> dict[str, Any]:
    got = await mail.ok(
        "Email/get",
        ids=[email_id],
        properties=list(properties),
        bodyProperties=[
            "partId",
            "blobId",
            "type",
            "charset",
            "name",
            "disposition",
            "cid",
            "language",
            "location",
            "subParts",
            "header:X-Part:asText",
            "header:Content-Transfer-Encoding:asText",
        ],
        fetchAllBodyValues=True,
    )
    return dict(got["list"][0])


async def _fail(mail: MailClient, email: dict[str, Any]) -> list[str]:
    result = await mail.ok("Email/set", create={"x": email})
    assert result["created"] is None
    failed = result["notCreated"]["x"]
    assert failed["type"] == "invalidProperties", failed
    return list(failed["properties"])


async def test_a_nested_body_structure_round_trips(mail: MailClient) -> None:
    drafts = await mail.mailbox_id("drafts")
    image = await _upload(mail, _PNG)
    pdf = await _upload(mail, b"%PDF-1.4 fake")
    structure = {
        "type": "multipart/mixed",
        "subParts": [
            {
                "type": "multipart/alternative",
                "subParts": [
                    {"partId": "text", "type": "text/plain", "language": ["en", "de"]},
                    {
                        "type": "multipart/related",
                        "subParts": [
                            {"partId": "html", "type": "text/html"},
                            {
                                "blobId": image,
                                "type": "image/png",
                                "cid": "logo@example.com",
                                "disposition": "inline",
                                "name": "logo.png",
                                "location": "https://example.com/logo.png",
                            },
                        ],
                    },
                ],
            },
            {
                "blobId": pdf,
                "type": "application/pdf",
                "disposition": "attachment",
                "name": "Übersicht – Q3 “final” report with a long name.pdf",
                "header:X-Part:asText": "Grüße aus dem Anhang",
            },
        ],
    }
    text = "Hello,\nthis line has ümlauts and a long tail " + "x" * 120 + "\n"
    html = '<p>Hi <img src="cid:logo@example.com"></p>'
    email_id = await _create(
        mail,
        _email(
            drafts,
            bodyStructure=structure,
            bodyValues={"text": {"value": text}, "html": {"value": html}},
        ),
    )
    email = await _get(mail, email_id, "bodyStructure", "bodyValues", "attachments", "textBody")
    root = email["bodyStructure"]
    assert _shape(root) == (
        "multipart/mixed",
        [
            (
                "multipart/alternative",
                ["text/plain", ("multipart/related", ["text/html", "image/png"])],
            ),
            "application/pdf",
        ],
    )
    alternative, attachment = root["subParts"]
    plain, related = alternative["subParts"]
    html_part, inline = related["subParts"]
    assert email["bodyValues"][plain["partId"]]["value"] == text
    assert email["bodyValues"][html_part["partId"]]["value"] == html
    assert plain["language"] == ["en", "de"]
    assert plain["header:Content-Transfer-Encoding:asText"] == "quoted-printable"
    assert html_part["header:Content-Transfer-Encoding:asText"] == "7bit"
    assert (inline["cid"], inline["disposition"], inline["name"]) == (
        "logo@example.com",
        "inline",
        "logo.png",
    )
    assert inline["location"] == "https://example.com/logo.png"
    assert inline["header:Content-Transfer-Encoding:asText"] == "base64"
    assert attachment["name"] == "Übersicht – Q3 “final” report with a long name.pdf"
    assert attachment["disposition"] == "attachment"
    assert attachment["header:X-Part:asText"] == "Grüße aus dem Anhang"
    assert [a["name"] for a in email["attachments"]] == [
        "logo.png",
        "Übersicht – Q3 “final” report with a long name.pdf",
    ]
    # The blobs read back byte for byte.
    got = await mail.ok("Email/get", ids=[email_id], properties=["attachments"])
    blob_ids = [a["blobId"] for a in got["list"][0]["attachments"]]
    assert [await _blob(mail, b) for b in blob_ids] == [_PNG, b"%PDF-1.4 fake"]


async def _blob(mail: MailClient, blob_id: str) -> bytes | None:
    return await read_blob(mail.store, mail.account_id, blob_id)


async def test_a_single_part_body_structure_and_a_text_blob(mail: MailClient) -> None:
    drafts = await mail.mailbox_id("drafts")
    email_id = await _create(
        mail,
        _email(
            drafts,
            bodyStructure={"partId": "1", "type": "text/html"},
            bodyValues={"1": {"value": "<b>x</b>"}},
        ),
    )
    email = await _get(mail, email_id, "bodyStructure", "htmlBody", "bodyValues")
    assert email["bodyStructure"]["type"] == "text/html"
    assert [p["type"] for p in email["htmlBody"]] == ["text/html"]
    latin = await _upload(mail, "café\r\n".encode("latin-1"))
    wide = await _upload(mail, "wide ☃".encode("utf-16"))
    email_id = await _create(
        mail,
        _email(
            drafts,
            bodyStructure={
                "subParts": [
                    {"blobId": latin, "type": "text/plain", "charset": "iso-8859-1"},
                    {"blobId": wide, "type": "text/plain", "charset": "utf-16"},
                ]
            },
        ),
    )
    email = await _get(mail, email_id, "bodyStructure", "bodyValues")
    root = email["bodyStructure"]
    assert root["type"] == "multipart/mixed"  # the default for a part with subParts
    leaf, wide_leaf = root["subParts"]
    assert leaf["charset"] == "iso-8859-1"
    assert leaf["header:Content-Transfer-Encoding:asText"] == "quoted-printable"
    assert email["bodyValues"][leaf["partId"]]["value"] == "café\n"
    # A charset that does not keep ASCII as ASCII is sent as base64.
    assert wide_leaf["header:Content-Transfer-Encoding:asText"] == "base64"
    assert email["bodyValues"][wide_leaf["partId"]]["value"] == "wide ☃"


async def test_inline_images_referenced_by_the_html_go_into_multipart_related(
    mail: MailClient,
) -> None:
    drafts = await mail.mailbox_id("drafts")
    image = await _upload(mail, _PNG)
    other = await _upload(mail, _PNG + b"2")
    pdf = await _upload(mail, b"%PDF-1.4 fake")
    email_id = await _create(
        mail,
        _email(
            drafts,
            textBody=[{"partId": "t", "type": "text/plain"}],
            htmlBody=[{"partId": "h", "type": "text/html"}],
            bodyValues={
                "t": {"value": "see the logo"},
                "h": {"value": '<p><img src="CID:logo@x"></p>'},
            },
            attachments=[
                {"blobId": image, "type": "image/png", "cid": "logo@x", "disposition": "inline"},
                {"blobId": pdf, "type": "application/pdf", "name": "a.pdf"},
                # A cid the HTML does not reference stays an attachment.
                {"blobId": other, "type": "image/png", "cid": "unused@x", "name": "b.png"},
            ],
        ),
    )
    email = await _get(mail, email_id, "bodyStructure", "textBody", "htmlBody", "attachments")
    assert _shape(email["bodyStructure"]) == (
        "multipart/mixed",
        [
            (
                "multipart/alternative",
                ["text/plain", ("multipart/related", ["text/html", "image/png"])],
            ),
            "application/pdf",
            "image/png",
        ],
    )
    assert [p["type"] for p in email["textBody"]] == ["text/plain"]
    assert [p["type"] for p in email["htmlBody"]] == ["text/html"]
    assert [a.get("cid") for a in email["attachments"]] == ["logo@x", None, "unused@x"]
    # Without attachments or inline parts: text and HTML alone.
    email_id = await _create(
        mail,
        _email(
            drafts,
            htmlBody=[{"partId": "h", "type": "text/html"}],
            bodyValues={"h": {"value": '<img src="cid:logo@x">'}},
            attachments=[{"blobId": image, "type": "image/png", "cid": "logo@x"}],
        ),
    )
    email = await _get(mail, email_id, "bodyStructure")
    assert _shape(email["bodyStructure"]) == ("multipart/related", ["text/html", "image/png"])


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        # A partId used twice.
        (
            {
                "bodyStructure": {
                    "type": "multipart/alternative",
                    "subParts": [
                        {"partId": "t", "type": "text/plain"},
                        {"partId": "t", "type": "text/html"},
                    ],
                }
            },
            ["bodyStructure/subParts/1/partId"],
        ),
        # Truncated or badly encoded bodyValues.
        (
            {
                "bodyStructure": {"partId": "t", "type": "text/plain"},
                "bodyValues": {"t": {"value": "x", "isTruncated": True}},
            },
            ["bodyValues/t"],
        ),
        (
            {
                "textBody": [{"partId": "t", "type": "text/plain"}],
                "bodyValues": {"t": {"value": "x", "isEncodingProblem": True}},
            },
            ["bodyValues/t"],
        ),
        # charset with a partId.
        (
            {"bodyStructure": {"partId": "t", "type": "text/plain", "charset": "utf-8"}},
            ["bodyStructure/charset"],
        ),
        # A partId leaf must be text/*.
        (
            {
                "bodyStructure": {
                    "subParts": [{"partId": "t", "type": "image/png"}],
                }
            },
            ["bodyStructure/subParts/0/type"],
        ),
        # `headers` is never given on a part (RFC 8621 section 4.6), harmless fields included.
        (
            {
                "bodyStructure": {
                    "partId": "t",
                    "headers": [{"name": "X-Harmless", "value": " yes"}],
                }
            },
            ["bodyStructure/headers"],
        ),
        # Content-Transfer-Encoding given, as header:* or in headers.
        (
            {
                "bodyStructure": {
                    "partId": "t",
                    "header:Content-Transfer-Encoding": " base64",
                }
            },
            ["bodyStructure/header:Content-Transfer-Encoding"],
        ),
        (
            {
                "bodyStructure": {
                    "partId": "t",
                    "headers": [{"name": "Content-Transfer-Encoding", "value": " 8bit"}],
                }
            },
            ["bodyStructure/headers"],
        ),
        # Both a partId and a blobId; a multipart with a partId; neither.
        (
            {"bodyStructure": {"partId": "t", "blobId": "Gx"}},
            ["bodyStructure/partId"],
        ),
        (
            {
                "bodyStructure": {
                    "type": "multipart/mixed",
                    "partId": "t",
                    "subParts": [{"partId": "t"}],
                }
            },
            ["bodyStructure/partId"],
        ),
        ({"bodyStructure": {"type": "text/plain"}}, ["bodyStructure/blobId"]),
        # bodyStructure with textBody.
        (
            {
                "bodyStructure": {"partId": "t"},
                "textBody": [{"partId": "t", "type": "text/plain"}],
            },
            ["bodyStructure"],
        ),
        # A subject both as a property and in the bodyStructure's header fields.
        (
            {"bodyStructure": {"partId": "t", "header:Subject:asText": "again"}},
            ["bodyStructure/header:Subject:asText"],
        ),
        # htmlBody must be text/html.
        (
            {"htmlBody": [{"partId": "t", "type": "text/plain"}]},
            ["htmlBody/0/type"],
        ),
        # Header fields given twice, in forbidden forms, or Content-* on the Email.
        ({"header:From:asAddresses": [{"email": "x@example.com"}]}, ["header:From:asAddresses"]),
        ({"header:subject": " again"}, ["header:subject"]),
        ({"header:X-A": " one", "header:x-a:asText": "two"}, ["header:x-a:asText"]),
        ({"header:Date:asText": "today"}, ["header:Date:asText"]),
        ({"header:Content-Type": " text/plain"}, ["header:Content-Type"]),
        ({"header:Date:asDate": "not a date"}, ["header:Date:asDate"]),
        ({"header:List-Post:asURLs": ["<x>"]}, ["header:List-Post:asURLs"]),
        ({"header:X-Raw": " line\nbreak"}, ["header:X-Raw"]),
        ({"headers": [{"name": "X-A", "value": " b"}]}, ["headers"]),
    ],
)
async def test_invalid_creates_name_the_property(
    mail: MailClient, change: dict[str, Any], expected: list[str]
) -> None:
    drafts = await mail.mailbox_id("drafts")
    email = _email(drafts, bodyValues={"t": {"value": "text"}})
    email.update(change)
    if "bodyStructure" not in email and "textBody" not in email and "htmlBody" not in email:
        email["textBody"] = [{"partId": "t", "type": "text/plain"}]
    assert await _fail(mail, email) == expected


async def test_header_properties_in_every_allowed_form(mail: MailClient) -> None:
    drafts = await mail.mailbox_id("drafts")
    email = {
        "mailboxIds": {drafts: True},
        "bodyStructure": {"partId": "t"},
        "bodyValues": {"t": {"value": "hi"}},
        "header:From:asAddresses": [
            {"name": "Jöhn Doe", "email": "john@example.com"},
            {"name": "Doe, Jane", "email": "jane@example.com"},
        ],
        "header:To:asGroupedAddresses": [
            {"name": "Friends", "addresses": [{"name": None, "email": "a@example.com"}]},
            {"name": None, "addresses": [{"name": "B", "email": "b@example.com"}]},
            {"name": "Leere Grüppe", "addresses": []},
        ],
        "header:Subject:asText": "Grüße " + "lang " * 30,
        "header:Date:asDate": "2024-03-04T05:06:07+01:00",
        "header:Message-ID:asMessageIds": ["one@example.com"],
        "header:References:asMessageIds": [f"ref{i}@example.com" for i in range(8)],
        "header:List-Post:asURLs": ["mailto:list@example.com", "https://example.com/post"],
        "header:X-Tag:asText:all": ["eins", "zwei"],
        "header:X-Raw:asRaw": " kept  as\r\n  given",
        "header:X-Addr:asAddresses": [{"name": "Ünknown", "email": "u@example.com"}],
    }
    email_id = await _create(mail, email)
    got = await _get(
        mail,
        email_id,
        "from",
        "to",
        "subject",
        "sentAt",
        "messageId",
        "references",
        "header:To:asGroupedAddresses",
        "header:List-Post:asURLs",
        "header:X-Tag:asText:all",
        "header:X-Raw",
        "header:X-Addr:asAddresses",
    )
    assert got["from"] == email["header:From:asAddresses"]
    assert got["to"] == [
        {"name": None, "email": "a@example.com"},
        {"name": "B", "email": "b@example.com"},
    ]
    assert got["header:To:asGroupedAddresses"] == email["header:To:asGroupedAddresses"]
    assert got["subject"] == email["header:Subject:asText"]
    assert got["sentAt"] == "2024-03-04T05:06:07+01:00"
    assert got["messageId"] == ["one@example.com"]
    assert got["references"] == email["header:References:asMessageIds"]
    assert got["header:List-Post:asURLs"] == email["header:List-Post:asURLs"]
    assert got["header:X-Tag:asText:all"] == ["eins", "zwei"]
    assert got["header:X-Raw"] == " kept  as\r\n  given"
    assert got["header:X-Addr:asAddresses"] == email["header:X-Addr:asAddresses"]


async def test_an_attached_8bit_message_stays_8bit(mail: MailClient) -> None:
    """RFC 2046 section 5.2.1: a message/rfc822 body takes no base64 or quoted-printable, so
    an attached message with UTF-8 headers and body goes as 8bit, its octets unchanged (line
    ends made CRLF), and reads back as a message whose subject decodes."""
    drafts = await mail.mailbox_id("drafts")
    inner = (
        "From: Zoë <zoe@example.org>\nSubject: Crème brûlée ☃\n"
        "Content-Type: text/plain; charset=utf-8\n\nÇa marche.\n"
    ).encode()
    blob = await _upload(mail, inner)
    email_id = await _create(
        mail,
        _email(
            drafts,
            bodyStructure={
                "type": "multipart/mixed",
                "subParts": [
                    {"partId": "t", "type": "text/plain"},
                    {"blobId": blob, "type": "message/rfc822", "disposition": "attachment"},
                ],
            },
            bodyValues={"t": {"value": "See the attached message."}},
        ),
    )
    email = await _get(mail, email_id, "bodyStructure", "attachments")
    attached = email["bodyStructure"]["subParts"][1]
    assert attached["type"] == "message/rfc822"
    assert attached["header:Content-Transfer-Encoding:asText"] == "8bit"
    assert await read_blob(mail.store, mail.account_id, attached["blobId"]) == inner.replace(
        b"\n", b"\r\n"
    )
    parsed = await mail.ok("Email/parse", blobIds=[attached["blobId"]], properties=["subject"])
    assert parsed["parsed"][attached["blobId"]]["subject"] == "Crème brûlée ☃"
