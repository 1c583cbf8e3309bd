"""Real-world-shaped messages from tests/mail/data, each named after the case it reproduces:
what a client sees of each (RFC 8621 section 4.1)."""

from __future__ import annotations

from typing import Any

import pytest
from mimebuild import DATA, check_offsets

from satchel.mail.mime import (
    Part,
    body_value,
    decoded_part,
    find_part,
    header_property,
    parse_message,
    summarize,
)


def load(name: str) -> tuple[bytes, dict[str, Any], Any]:
    raw = (DATA / name).read_bytes()
    message = parse_message(raw)
    check_offsets(message)
    return raw, summarize(raw, message, "Gblob"), message


def ids(parts: list[dict[str, Any]]) -> list[str]:
    return [p["partId"] for p in parts]


def part(message: Any, part_id: str) -> Part:
    found = find_part(message, part_id)
    assert found is not None
    return found


def value(raw: bytes, message: Any, part_id: str) -> dict[str, Any]:
    part = find_part(message, part_id)
    assert part is not None
    return body_value(raw, part, 0)


def test_apple_mail_alternative_related_inline_image() -> None:
    raw, s, message = load("apple_mail_alternative_related_inline_image.eml")
    assert s["from"] == [{"name": "Renée Dupont", "email": "renee@example.fr"}]
    assert s["sentAt"] == "2024-04-06T18:04:11+02:00"
    assert (ids(s["textBody"]), ids(s["htmlBody"]), ids(s["attachments"])) == (["2"], ["4"], ["5"])
    image = s["attachments"][0]
    assert (image["type"], image["disposition"], image["cid"], image["name"]) == (
        "image/jpeg",
        "inline",
        "F00D@example.fr",
        "IMG_0042.jpeg",
    )
    assert decoded_part(raw, part(message, "5")).startswith(b"\xff\xd8\xff")
    assert s["hasAttachment"] is False  # only an inline image the HTML embeds
    assert value(raw, message, "2")["value"] == "Voilà la photo !\n"
    assert "cid:F00D@example.fr" in value(raw, message, "4")["value"]
    assert s["preview"] == "Voilà la photo !"


def test_outlook_iso2022jp_subject_and_body() -> None:
    raw, s, message = load("outlook_iso2022jp_subject_and_body.eml")
    assert s["from"] == [{"name": "山田 太郎", "email": "yamada@example.jp"}]
    assert s["subject"] == "資料の送り"
    assert s["messageId"] == ["000001da4751$00000000$00000000@example.jp"]
    assert value(raw, message, "1") == {
        "value": "お世話になっております。\n資料を送ります。\n",
        "isEncodingProblem": False,
        "isTruncated": False,
    }


def test_mailing_list_footer_after_alternative() -> None:
    raw, s, message = load("mailing_list_footer_after_alternative.eml")
    assert ids(s["textBody"]) == ["3", "5"] and ids(s["htmlBody"]) == ["4", "5"]
    assert s["attachments"] == [] and s["hasAttachment"] is False
    assert s["sentAt"] == "2024-07-02T10:00:00Z"  # -0000: no zone information, read as UTC
    headers = message.root.headers
    assert header_property(raw, headers, "URLs", "List-Unsubscribe", False) == [
        "mailto:dev-leave@lists.example.org",
        "https://lists.example.org/unsub/dev",
    ]
    assert header_property(raw, headers, "Text", "List-Id", False) == (
        "Developers <dev.lists.example.org>"
    )


def test_forwarded_message_as_rfc822_attachment() -> None:
    raw, s, message = load("forwarded_message_as_rfc822_attachment.eml")
    (attached,) = s["attachments"]
    assert attached["type"] == "message/rfc822" and attached["name"] == "Invoice.eml"
    assert attached["subParts"] is None
    # The part blob is the whole attached message, parseable on its own (Email/parse).
    inner_raw = decoded_part(raw, part(message, attached["partId"]))
    inner = summarize(inner_raw, parse_message(inner_raw), "Ginner")
    assert inner["subject"] == "Invoice 42"
    assert [p["name"] for p in inner["attachments"]] == ["invoice-42.pdf"]
    # The preview is the outer message's own text; search also sees the attached message's
    # headers and text (RFC 8621 section 4.4.1), not its attachments.
    assert s["preview"] == "See the forwarded message below."
    assert s["searchText"]["body"].split("\n") == [
        "See the forwarded message below.",
        "billing@vendor.example",
        "bob@example.com",
        "Invoice 42",
        "Please find the invoice attached.",
    ]


def test_thunderbird_rfc2231_long_filename_continuations() -> None:
    _raw, s, _message = load("thunderbird_rfc2231_long_filename_continuations.eml")
    (document,) = s["attachments"]
    assert document["name"] == "Übersicht der Größen und Maße.docx"
    assert document["size"] == 10
    assert s["subject"] == "Unterlagen für die Sitzung"
    assert s["textBody"][0]["charset"] == "UTF-8"  # as given


def test_truncated_upload_missing_final_boundary() -> None:
    raw, s, message = load("truncated_upload_missing_final_boundary.eml")
    assert ids(s["textBody"]) == ["2"] and ids(s["attachments"]) == ["3"]
    data = decoded_part(raw, part(message, "3"))
    assert data[:5] == bytes(range(5)) and len(data) == s["attachments"][0]["size"]


def test_unix_lf_only_no_separator_line() -> None:
    raw, s, message = load("unix_lf_only_no_separator_line.eml")
    assert s["subject"] == "sent by a script"
    assert [h["name"] for h in s["headers"]] == ["From", "Subject", "X-Script"]
    assert value(raw, message, "1")["value"].startswith("This body starts right after")


def test_base64_html_only_windows1252() -> None:
    raw, s, message = load("base64_html_only_windows1252.eml")
    assert s["from"] == [{"name": "Shop, The", "email": "news@shop.example"}]
    assert s["subject"] == "\u201cDeals\u201d \u2013 this week"
    assert ids(s["textBody"]) == ids(s["htmlBody"]) == ["1"]
    assert s["preview"] == "\u201cDeals\u201d Save 20 € on cafés & more."
    assert "€" in value(raw, message, "1")["value"]


def test_unknown_charset_label() -> None:
    raw, s, message = load("unknown_charset_label.eml")
    assert s["subject"] == "=?x-mac-cyrillic-unknown?B?z/Do4uXy?="  # unknown: not decoded
    assert value(raw, message, "1") == {
        "value": "Привет\n",
        "isEncodingProblem": True,
        "isTruncated": False,
    }


def test_bounce_multipart_report_delivery_status() -> None:
    _raw, s, _message = load("bounce_multipart_report_delivery_status.eml")
    assert s["from"] == [{"name": "Mail Delivery System", "email": "MAILER-DAEMON@mx.example.com"}]
    assert s["sentAt"] == "2024-07-06T01:02:03Z"
    assert [p["type"] for p in s["attachments"]] == [
        "message/delivery-status",
        "text/rfc822-headers",
    ]
    assert s["preview"].startswith("I'm sorry to have to inform you")


@pytest.mark.parametrize("path", sorted(DATA.glob("*.eml")), ids=lambda p: p.stem)
def test_every_fixture_summarizes_to_sizes_that_match_part_blobs(path: Any) -> None:
    raw = path.read_bytes()
    message = parse_message(raw)
    summary = summarize(raw, message, "G")
    stack = [summary["bodyStructure"]]
    while stack:
        part = stack.pop()
        if part["subParts"] is not None:
            stack.extend(part["subParts"])
            continue
        found = find_part(message, part["partId"])
        assert found is not None
        assert part["blobId"] == f"GP{part['partId']}"
        assert len(decoded_part(raw, found)) == part["size"]
