"""The splitter: header blocks, RFC 2046 boundaries, nesting, attached messages, and the
malformed shapes real mail takes; offsets always slice the original message."""

from __future__ import annotations

import time

import pytest
from mimebuild import build, check_offsets

from satchel.mail.mime import MAX_DEPTH, find_part, iter_parts, parse_message


def body(raw: bytes, part_id: str) -> bytes:
    part = find_part(parse_message(raw), part_id)
    assert part is not None
    return raw[part.body_start : part.body_end]


@pytest.mark.parametrize("nl", [b"\r\n", b"\n"])
def test_single_part_headers_and_body(nl: bytes) -> None:
    raw = nl.join([b"Subject: hi", b"X-Folded: one", b"\ttwo", b"", b"body line", b""])
    message = parse_message(raw)
    root = message.root
    assert [(h.name, h.raw) for h in root.headers] == [
        ("Subject", " hi"),
        ("X-Folded", " one" + nl.decode() + "\ttwo"),
    ]
    assert raw[root.body_start : root.body_end] == b"body line" + nl
    assert root.type == "text/plain" and root.charset == "us-ascii"
    assert root.part_id == "1" and root.sub_parts == []
    assert raw[root.headers[1].start : root.headers[1].end].startswith(b"X-Folded:")
    check_offsets(message)


@pytest.mark.parametrize("nl", [b"\r\n", b"\n"])
def test_multipart_preamble_epilogue_and_crlf_before_boundary(nl: bytes) -> None:
    raw = nl.join(
        [
            b'Content-Type: multipart/mixed; boundary="=_xyz"',
            b"",
            b"This is the preamble.",
            b"--=_xyz",
            b"",
            b"implicit text/plain",
            b"--=_xyz   ",
            b"Content-Type: text/html",
            b"",
            b"<p>two</p>",
            b"",
            b"--=_xyz--",
            b"epilogue --=_xyz",
        ]
    )
    message = parse_message(raw)
    root = message.root
    assert root.type == "multipart/mixed"
    assert [p.part_id for p in root.sub_parts] == ["2", "3"]
    first, second = root.sub_parts
    assert first.headers == [] and raw[first.body_start : first.body_end] == b"implicit text/plain"
    assert second.type == "text/html"
    # RFC 2046 section 5.1.1: the line break before a delimiter belongs to the delimiter.
    assert raw[second.body_start : second.body_end] == b"<p>two</p>" + nl
    check_offsets(message)


def test_nested_multiparts_with_prefix_boundaries() -> None:
    raw = build(
        "Content-Type: multipart/mixed; boundary={b}",
        [
            ("Content-Type: text/plain", b"A"),
            (
                'Content-Type: multipart/alternative; boundary="{b}"',
                [("Content-Type: text/plain", b"B"), ("Content-Type: text/html", b"C")],
            ),
            ("Content-Type: text/plain", b"D"),
        ],
    )
    message = parse_message(raw)
    types = [(p.part_id, p.type) for p in iter_parts(message.root)]
    assert types == [
        ("1", "multipart/mixed"),
        ("2", "text/plain"),
        ("3", "multipart/alternative"),
        ("4", "text/plain"),
        ("5", "text/html"),
        ("6", "text/plain"),
    ]
    assert [body(raw, i) for i in "2456"] == [b"A", b"B", b"C", b"D"]
    check_offsets(message)


def test_missing_final_boundary_ends_at_the_enclosing_body() -> None:
    raw = (
        b"Content-Type: multipart/mixed; boundary=outer\r\n\r\n"
        b"--outer\r\nContent-Type: multipart/alternative; boundary=inner\r\n\r\n"
        b"--inner\r\n\r\nB\r\n--inner\r\n\r\nC\r\n"  # no --inner--
        b"--outer\r\n\r\nD\r\n"  # no --outer-- either
    )
    message = parse_message(raw)
    ids = {p.part_id: p for p in iter_parts(message.root)}
    assert [p.type for p in message.root.sub_parts] == ["multipart/alternative", "text/plain"]
    assert body(raw, "3") == b"B" and body(raw, "4") == b"C"
    assert body(raw, "5") == b"D\r\n"
    assert len(ids) == 5
    check_offsets(message)


def test_no_blank_line_between_header_and_body() -> None:
    raw = b"Subject: x\r\nFrom: a@b\r\nthis line is body\r\nmore\r\n"
    root = parse_message(raw).root
    assert [h.name for h in root.headers] == ["Subject", "From"]
    assert raw[root.body_start :] == b"this line is body\r\nmore\r\n"


def test_headers_only_message_has_an_empty_body() -> None:
    raw = b"Subject: nothing else"
    root = parse_message(raw).root
    assert root.headers[0].raw == " nothing else"
    assert root.body_start == root.body_end == len(raw)


def test_eight_bit_and_nul_octets_in_headers() -> None:
    raw = b"Subject: caf\xc3\xa9 \xe9t\xe9\x00!\r\nX-Null: a\x00b\r\n\r\nbody\x00\r\n"
    root = parse_message(raw).root
    # RFC 8621 section 4.1.2.1: invalid UTF-8 -> U+FFFD, NUL dropped.
    assert root.headers[0].raw == " café \ufffdt\ufffd!"
    assert root.headers[1].raw == " ab"
    assert raw[root.body_start : root.body_end] == b"body\x00\r\n"


def test_mbox_from_line_is_skipped() -> None:
    raw = b"From someone@example.com Mon Jan  1 12:00:00 2024\nSubject: s\n\nb\n"
    root = parse_message(raw).root
    assert [h.name for h in root.headers] == ["Subject"]


def test_attached_message_is_parsed_into_sub_parts() -> None:
    inner = build(
        "Subject: inner|Content-Type: multipart/mixed; boundary={b}",
        [("", b"inner text"), ("Content-Type: image/png", b"PNG")],
        boundary="in",
    )
    raw = build(
        "Subject: outer|Content-Type: multipart/mixed; boundary={b}",
        [("", b"outer text"), ("Content-Type: message/rfc822", inner)],
    )
    message = parse_message(raw)
    attached = message.root.sub_parts[1]
    assert attached.type == "message/rfc822"
    assert raw[attached.body_start : attached.body_end] == inner
    (inner_root,) = attached.sub_parts
    assert inner_root.headers[0].raw == " inner" and inner_root.type == "multipart/mixed"
    assert [p.type for p in inner_root.sub_parts] == ["text/plain", "image/png"]
    check_offsets(message)


def test_digest_parts_default_to_message_rfc822() -> None:
    raw = build(
        "Content-Type: multipart/digest; boundary={b}",
        [("", b"Subject: one\r\n\r\nfirst"), ("Content-Type: text/plain", b"x")],
    )
    first, second = parse_message(raw).root.sub_parts
    assert first.type == "message/rfc822" and first.charset is None
    assert first.sub_parts[0].headers[0].raw == " one"
    assert second.type == "text/plain"


def test_multipart_without_boundary_or_delimiters_is_shown_as_text() -> None:
    for header in (b"multipart/mixed", b"multipart/mixed; boundary=nothere"):
        raw = b"Content-Type: " + header + b"\r\n\r\njust text\r\n"
        root = parse_message(raw).root
        assert root.type == "text/plain" and root.sub_parts == []
        assert raw[root.body_start : root.body_end] == b"just text\r\n"


def test_content_type_defaults_and_garbage() -> None:
    cases = {
        b'Content-Type: TEXT/HTML ; Charset="ISO-8859-1"': ("text/html", "ISO-8859-1"),
        b"Content-Type: text/plain": ("text/plain", "us-ascii"),
        b"Content-Type: image/png; charset=utf-8": ("image/png", "utf-8"),
        b"Content-Type: application/pdf": ("application/pdf", None),
        b"Content-Type: garbage": ("text/plain", "us-ascii"),
        b"Content-Type:": ("text/plain", "us-ascii"),
        b"Content-Type: text/plain (comment); charset=(c)utf-8": ("text/plain", "utf-8"),
        b"X-Other: 1": ("text/plain", "us-ascii"),
    }
    for header, expected in cases.items():
        root = parse_message(header + b"\r\n\r\nx").root
        assert (root.type, root.charset) == expected, header


def test_part_descriptors() -> None:
    raw = (
        b'Content-Type: image/png; name="fallback.png"\r\n'
        b"Content-Disposition: INLINE; filename*=UTF-8''na%C3%AFve.png\r\n"
        b"Content-ID: <img1@example.com> (logo)\r\n"
        b"Content-Language: en, fr (French)\r\n"
        b"Content-Location: http://example.com/\r\n a.png\r\n"
        b"Content-Transfer-Encoding: Base64\r\n\r\n"
    )
    root = parse_message(raw).root
    assert root.disposition == "inline"
    assert root.name == "naïve.png"
    assert root.cid == "img1@example.com"
    assert root.language == ["en", "fr"]
    assert root.location == "http://example.com/a.png"
    assert root.transfer_encoding == "base64"


def test_depth_is_capped() -> None:
    depth = MAX_DEPTH * 3
    raw = b"".join(
        b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (i, i)
        for i in range(depth)
    )
    message = parse_message(raw + b"leaf\r\n")
    parts = iter_parts(message.root)
    assert len(parts) <= MAX_DEPTH + 1
    check_offsets(message)


def test_ten_thousand_parts_in_linear_time() -> None:
    count = 10_000
    raw = b"Content-Type: multipart/mixed; boundary=z\r\n\r\n" + b"".join(
        b"--z\r\nContent-Type: text/plain\r\n\r\npart %d\r\n" % i for i in range(count)
    )
    started = time.perf_counter()
    message = parse_message(raw + b"--z--\r\n")
    elapsed = time.perf_counter() - started
    assert len(message.root.sub_parts) == count
    assert raw[message.root.sub_parts[-1].body_start :].startswith(b"part 9999")
    assert elapsed < 5  # generous: ~0.1 s here; quadratic work would take minutes
    check_offsets(message)


def test_many_delimiter_lookalikes_on_one_line_stay_linear() -> None:
    raw = b"Content-Type: multipart/mixed; boundary=q\r\n\r\n" + b"--q!" * 200_000
    started = time.perf_counter()
    message = parse_message(raw)
    assert time.perf_counter() - started < 5
    assert message.root.type == "text/plain"  # no real delimiter line


def test_find_part() -> None:
    raw = build("Content-Type: multipart/mixed; boundary={b}", [("", b"a"), ("", b"b")])
    message = parse_message(raw)
    part = find_part(message, "3")
    assert part is not None and raw[part.body_start : part.body_end] == b"b"
    assert find_part(message, "4") is None and find_part(message, "") is None
