"""Body parts: the RFC 8621 section 4.1.4 textBody/htmlBody/attachments algorithm on the RFC's
own example, EmailBodyPart properties, bodyValues across charsets and transfer encodings,
truncation, previews and RFC 2231 filenames."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from mimebuild import build

from satchel.mail.mime import body_value, decoded_part, find_part, parse_message, summarize


def label(part: dict[str, Any]) -> str:
    return next(h["value"].strip() for h in part["headers"] if h["name"] == "X-Label")


INLINE = "Content-Disposition: inline"

# RFC 8621 section 4.1.4: a list manager's header and footer around text and HTML versions.
RFC_EXAMPLE = build(
    "Subject: list mail|Content-Type: multipart/mixed; boundary={b}",
    [
        ("Content-Type: text/plain|Content-Disposition: inline|X-Label: A", b"A"),
        (
            "Content-Type: multipart/mixed; boundary={b}",
            [
                (
                    "Content-Type: multipart/alternative; boundary={b}",
                    [
                        (
                            "Content-Type: multipart/mixed; boundary={b}",
                            [
                                (f"Content-Type: text/plain|{INLINE}|X-Label: B", b"B"),
                                (f"Content-Type: image/jpeg|{INLINE}|X-Label: C", b"C"),
                                (f"Content-Type: text/plain|{INLINE}|X-Label: D", b"D"),
                            ],
                        ),
                        (
                            "Content-Type: multipart/related; boundary={b}",
                            [
                                ("Content-Type: text/html|X-Label: E", b"<p>E</p>"),
                                ("Content-Type: image/jpeg|X-Label: F", b"F"),
                            ],
                        ),
                    ],
                ),
                ("Content-Type: image/jpeg|Content-Disposition: attachment|X-Label: G", b"G"),
                ("Content-Type: application/x-excel|X-Label: H", b"H"),
                ("Content-Type: message/rfc822|X-Label: J", b"Subject: J\r\n\r\nJ"),
            ],
        ),
        ("Content-Type: text/plain|Content-Disposition: inline|X-Label: K", b"K"),
    ],
)


def test_rfc_example_decomposition() -> None:
    summary = summarize(RFC_EXAMPLE, parse_message(RFC_EXAMPLE), "Gm")
    assert [label(p) for p in summary["textBody"]] == list("ABCDK")
    assert [label(p) for p in summary["htmlBody"]] == list("AEK")
    assert [label(p) for p in summary["attachments"]] == list("CFGHJ")
    assert summary["hasAttachment"] is True
    # bodyStructure does not recurse into message/rfc822 (RFC 8621 section 4.1.4).
    attached = summary["attachments"][-1]
    assert attached["type"] == "message/rfc822" and attached["subParts"] is None


def test_body_part_properties_and_part_blob_ids() -> None:
    summary = summarize(RFC_EXAMPLE, parse_message(RFC_EXAMPLE), "Gm")
    root = summary["bodyStructure"]
    assert root["partId"] is None and root["blobId"] is None and root["type"] == "multipart/mixed"
    assert set(root) == {
        "partId", "blobId", "size", "headers", "name", "type", "charset", "disposition", "cid",
        "language", "location", "subParts",
    }  # fmt: skip
    a = root["subParts"][0]
    assert a["blobId"] == f"GmP{a['partId']}" and a["subParts"] is None and a["size"] == 1
    assert a["headers"][0] == {"name": "Content-Type", "value": " text/plain"}
    leaves, stack = [], [root]
    while stack:
        part = stack.pop()
        stack.extend(part["subParts"] or [])
        if part["partId"] is not None:
            leaves.append(part["partId"])
    assert len(leaves) == len(set(leaves)) == 10


def test_alternative_with_only_html_fills_both_lists() -> None:
    raw = build(
        "Content-Type: multipart/alternative; boundary={b}",
        [("Content-Type: text/html", b"<b>only html</b>")],
    )
    summary = summarize(raw, parse_message(raw), "G")
    assert summary["textBody"] == summary["htmlBody"]
    assert [p["type"] for p in summary["textBody"]] == ["text/html"]
    assert summary["preview"] == "only html"


def test_related_inline_image_is_an_attachment_but_not_has_attachment() -> None:
    raw = build(
        "Content-Type: multipart/related; boundary={b}",
        [
            ("Content-Type: text/html", b'<img src="cid:logo">'),
            ("Content-Type: image/png|Content-Disposition: inline|Content-ID: <logo>", b"PNG"),
        ],
    )
    summary = summarize(raw, parse_message(raw), "G")
    assert [p["type"] for p in summary["attachments"]] == ["image/png"]
    assert summary["attachments"][0]["cid"] == "logo"
    assert summary["hasAttachment"] is False


def test_text_part_with_filename_after_the_first_is_an_attachment() -> None:
    raw = build(
        "Content-Type: multipart/mixed; boundary={b}",
        [("", b"hello"), ('Content-Type: text/plain; name="notes.txt"', b"notes")],
    )
    summary = summarize(raw, parse_message(raw), "G")
    assert [p["name"] for p in summary["attachments"]] == ["notes.txt"]
    assert summary["searchText"]["attachmentNames"] == "notes.txt"
    assert summary["hasAttachment"] is True


@pytest.mark.parametrize(
    ("charset", "encoded", "text", "problem"),
    [
        ("utf-8", "Grüße, 世界".encode(), "Grüße, 世界", False),
        ("iso-8859-1", "Grüße".encode("latin-1"), "Grüße", False),
        ("iso-8859-1", b"\x93quoted\x94 \x80 \x81", "\u201cquoted\u201d \u20ac \x81", False),
        (
            "windows-1252",
            b"undefined \x81\x8d\x8f\x90\x9d",
            "undefined \x81\x8d\x8f\x90\x9d",
            False,
        ),
        ("windows-1252", b"\x93smart\x94 \x80", "\u201csmart\u201d \u20ac", False),
        ("iso-2022-jp", "こんにちは".encode("iso2022_jp"), "こんにちは", False),
        ("gb2312", "中文邮件".encode("gb2312"), "中文邮件", False),
        ("koi8-r", "Привет".encode("koi8_r"), "Привет", False),
        ("us-ascii", "naïve".encode(), "naïve", False),  # mislabelled UTF-8 is read as such
        ("x-made-up", b"plain ascii", "plain ascii", True),
        ("x-made-up", b"caf\xe9", "café", True),
        ("utf-8", b"bad \xff byte", "bad \ufffd byte", True),
        ("base64", b"text", "text", True),  # a codec, but not a charset
        ("unicode_escape", b"\\u0041", "\\u0041", True),
    ],
)
def test_body_value_charsets(charset: str, encoded: bytes, text: str, problem: bool) -> None:
    raw = f"Content-Type: text/plain; charset={charset}\r\n\r\n".encode() + encoded
    part = parse_message(raw).root
    expected = {"value": text, "isEncodingProblem": problem, "isTruncated": False}
    assert body_value(raw, part, 0) == expected


@pytest.mark.parametrize(
    ("encoding", "body", "decoded", "problem"),
    [
        ("base64", base64.encodebytes(b"hello\r\nworld"), b"hello\r\nworld", False),
        ("base64", b"aGVsbG8", b"hello", False),  # missing padding
        ("base64", b"aGVs\r\n!!bG8=\r\n", b"hello", True),  # junk skipped, flagged
        ("base64", b"aGVsbG8=X", b"hello", True),  # a lone trailing sextet
        ("quoted-printable", b"caf=C3=A9 soft=\r\nbreak", "café softbreak".encode(), False),
        ("quoted-printable", b"soft with space= \r\nbreak", b"soft with spacebreak", False),
        ("quoted-printable", b"bad =ZZ escape", b"bad =ZZ escape", True),
        ("7bit", b"as is", b"as is", False),
        ("x-uuencode", b"as is", b"as is", True),  # unknown: identity, flagged
    ],
)
def test_transfer_encodings(encoding: str, body: bytes, decoded: bytes, problem: bool) -> None:
    raw = b"Content-Type: text/plain; charset=utf-8\r\n"
    raw += f"Content-Transfer-Encoding: {encoding}\r\n\r\n".encode() + body
    part = parse_message(raw).root
    assert decoded_part(raw, part) == decoded
    value = body_value(raw, part, 0)
    assert value["value"] == decoded.decode().replace("\r\n", "\n")
    assert value["isEncodingProblem"] is problem


def test_body_value_crlf_becomes_lf() -> None:
    raw = b"\r\none\r\ntwo\r\n"
    assert body_value(raw, parse_message(raw).root, 0)["value"] == "one\ntwo\n"


@pytest.mark.parametrize(
    ("max_bytes", "value", "truncated"),
    [
        (0, "aé世😀", False),
        (100, "aé世😀", False),
        (10, "aé世😀", False),  # exactly 1 + 2 + 3 + 4 bytes
        (9, "aé世", True),  # never half a character
        (6, "aé世", True),
        (5, "aé", True),
        (1, "a", True),
    ],
)
def test_max_body_value_bytes(max_bytes: int, value: str, truncated: bool) -> None:
    raw = "Content-Type: text/plain; charset=utf-8\r\n\r\naé世😀".encode()
    result = body_value(raw, parse_message(raw).root, max_bytes)
    assert (result["value"], result["isTruncated"]) == (value, truncated)


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("Content-Disposition: attachment; filename*=UTF-8''%E2%82%AC%20rates.pdf", "€ rates.pdf"),
        ("Content-Disposition: attachment; filename*=iso-8859-1'fr'caf%E9.txt", "café.txt"),
        (
            "Content-Disposition: attachment;\r\n filename*0*=UTF-8''%E6%97%A5;\r\n"
            ' filename*1*=%E6%9C%AC;\r\n filename*2=".txt"',
            "日本.txt",
        ),
        ("Content-Disposition: attachment; filename*1=b.txt; filename*0=a", "ab.txt"),
        ('Content-Disposition: attachment; filename="=?utf-8?B?w6kudHh0?="', "é.txt"),
        ('Content-Type: application/pdf; name="=?iso-8859-1?Q?r=E9sum=E9.pdf?="', "résumé.pdf"),
        ('Content-Type: a/b; name="fallback"\r\nContent-Disposition: a; filename=x', "x"),
        ('Content-Disposition: a; filename="with \\"quotes\\";semi.txt"', 'with "quotes";semi.txt'),
        ("Content-Disposition: attachment; filename*=x-bogus''%FF", "\u00ff"),
        ("Content-Disposition: attachment; filename*=utf-8''%ZZ%", "%ZZ%"),
    ],
)
def test_rfc2231_and_rfc2047_filenames(header: str, name: str) -> None:
    raw = header.encode() + b"\r\n\r\nx"
    assert parse_message(raw).root.name == name


def test_preview_collapses_whitespace_and_strips_html() -> None:
    html = (
        b"<html><head><title>T</title><style>p{color:red}</style></head><body>"
        b"<!-- hidden --><p>Hello&nbsp;<b>wor</b>ld</p>\r\n\r\n<script>alert(1)</script>"
        b"<div>next &amp; last</div></body></html>"
    )
    raw = b"Content-Type: text/html\r\n\r\n" + html
    summary = summarize(raw, parse_message(raw), "G")
    assert summary["preview"] == "Hello world next & last"  # NBSP collapses too
    assert "alert" not in summary["searchText"]["body"]


def test_preview_skips_quoted_lines_unless_nothing_else_is_left() -> None:
    raw = b"\r\nSounds good.\r\n\r\n> Shall we meet\r\n>> at noon?\r\n\r\nSam\r\n"
    assert summarize(raw, parse_message(raw), "G")["preview"] == "Sounds good. Sam"
    raw = b"\r\n> only a quote\r\n"
    assert summarize(raw, parse_message(raw), "G")["preview"] == "> only a quote"


def test_preview_is_at_most_256_characters() -> None:
    raw = b"\r\n" + b"word  \r\n\t " * 500
    summary = summarize(raw, parse_message(raw), "G")
    assert len(summary["preview"]) == 256 and "  " not in summary["preview"]


def test_summary_of_a_plain_message() -> None:
    raw = (
        b"From: =?utf-8?q?Ren=C3=A9e?= <renee@example.com>\r\n"
        b"To: a@x, B <b@x>\r\nCc: c@x\r\nBcc: d@x\r\nReply-To: r@x\r\nSender: s@x\r\n"
        b"Subject: Re: =?utf-8?q?r=C3=A9union?=\r\n"
        b"Date: Tue, 2 Jan 2024 09:08:07 +0100\r\n"
        b"Message-ID: <m1@x>\r\nIn-Reply-To: <m0@x>\r\nReferences: <r@x> <m0@x>\r\n\r\n"
        b"See you there.\r\n"
    )
    summary = summarize(raw, parse_message(raw), "Gabc")
    assert summary["from"] == [{"name": "Renée", "email": "renee@example.com"}]
    assert summary["to"] == [{"name": None, "email": "a@x"}, {"name": "B", "email": "b@x"}]
    assert summary["sender"] == [{"name": None, "email": "s@x"}]
    assert summary["replyTo"] == [{"name": None, "email": "r@x"}]
    assert summary["subject"] == "Re: réunion"
    assert summary["sentAt"] == "2024-01-02T09:08:07+01:00"
    assert summary["messageId"] == ["m1@x"]
    assert summary["inReplyTo"] == ["m0@x"]
    assert summary["references"] == ["r@x", "m0@x"]
    assert summary["size"] == len(raw)
    assert summary["preview"] == "See you there."
    assert summary["hasAttachment"] is False and summary["attachments"] == []
    assert summary["bodyStructure"]["partId"] == "1"
    assert summary["bodyStructure"]["blobId"] == "GabcP1"
    assert summary["headers"][0] == {
        "name": "From",
        "value": " =?utf-8?q?Ren=C3=A9e?= <renee@example.com>",
    }
    assert summary["searchText"] == {
        "from": "Renée renee@example.com",
        "to": "a@x\nB b@x",
        "cc": "c@x",
        "bcc": "d@x",
        "subject": "Re: réunion",
        "body": "See you there.\n",
        "attachmentNames": "",
    }


def test_summary_of_an_empty_message() -> None:
    summary = summarize(b"", parse_message(b""), "G")
    assert summary["subject"] is None and summary["from"] is None and summary["sentAt"] is None
    assert summary["preview"] == "" and summary["size"] == 0
    assert summary["textBody"][0]["size"] == 0


def test_decoded_part_of_a_base64_attachment_by_part_id() -> None:
    payload = bytes(range(256)) * 4
    raw = build(
        "Content-Type: multipart/mixed; boundary={b}",
        [
            ("", b"see attached"),
            ("Content-Type: application/octet-stream|Content-Transfer-Encoding: base64",
             base64.encodebytes(payload)),
        ],
    )  # fmt: skip
    message = parse_message(raw)
    summary = summarize(raw, message, "G")
    attachment = summary["attachments"][0]
    assert attachment["size"] == len(payload)
    part = find_part(message, attachment["partId"])
    assert part is not None and decoded_part(raw, part) == payload


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"QQ==",
        b"QUI=",
        b"QUJD",
        b"QUJDRA",
        b"QQ==QUI=",
        b"Q",
        b"QUJDR",
        b"!Q U\r\nJ D=",
        b"====",
    ],
)
def test_base64_size_matches_the_decoded_octets(body: bytes) -> None:
    raw = b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    message = parse_message(raw + body)
    summary = summarize(raw + body, message, "G")
    assert summary["bodyStructure"]["size"] == len(decoded_part(raw + body, message.root))
