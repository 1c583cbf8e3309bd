"""The pure DATA reader and reply wording (RFC 5321 section 4.5.2, RFC 2034, RFC 2033)."""

from __future__ import annotations

import pytest

from satchel.smtp.lmtp import DataReader, Trace, trace_headers, with_enhanced_code


def read_all(pieces: list[bytes], max_size: int | None = None) -> DataReader:
    reader = DataReader(max_size)
    for i, piece in enumerate(pieces):
        done = reader.feed(piece)
        assert done == (i == len(pieces) - 1)
    return reader


def test_a_single_dot_line_ends_the_data_and_stuffed_dots_are_removed() -> None:
    reader = read_all([b"Subject: x\r\n\r\n..leading dot\r\n", b"end.\r\n", b".\r\n"])
    assert reader.message() == b"Subject: x\r\n\r\n.leading dot\r\nend.\r\n"


def test_an_empty_message_is_just_the_dot() -> None:
    assert read_all([b".\r\n"]).message() == b""


def test_a_dot_inside_a_line_is_not_the_end() -> None:
    reader = read_all([b"a line ending in a dot.\r\n", b"x.\r\n", b"\r\n.\r\n"])
    assert reader.message() == b"a line ending in a dot.\r\nx.\r\n\r\n"


@pytest.mark.parametrize("cut", range(1, 12))
def test_the_terminator_is_found_across_any_fragment_boundary(cut: int) -> None:
    wire = b"abc\r\ndef\r\n.\r\n"
    reader = DataReader(None)
    reader.feed(wire[:cut])
    assert reader.feed(wire[cut:]) if not reader.done else True
    assert reader.message() == b"abc\r\ndef\r\n"


def test_past_the_limit_the_data_is_read_to_its_end_but_not_kept() -> None:
    reader = read_all([b"x" * 50 + b"\r\n", b"y" * 60 + b"\r\n", b".\r\n"], max_size=100)
    assert reader.too_big
    with pytest.raises(ValueError):
        reader.message()


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("250 OK", "250 2.0.0 OK"),
        ("221 Bye", "221 2.0.0 Bye"),
        ("503 Error: need MAIL command", "503 5.5.1 Error: need MAIL command"),
        ("552 Error: Too much mail data", "552 5.3.4 Error: Too much mail data"),
        ("250 2.1.5 OK", "250 2.1.5 OK"),
        ("354 End data with <CR><LF>.<CR><LF>", "354 End data with <CR><LF>.<CR><LF>"),
        ("220 host Satchel LMTP", "220 host Satchel LMTP"),
        ("421 4.7.0 DATA sent too many times", "421 4.7.0 DATA sent too many times"),
    ],
)
def test_every_reply_carries_an_enhanced_status_code(reply: str, expected: str) -> None:
    assert with_enhanced_code(reply) == expected


def test_trace_headers_cannot_be_injected_through_the_envelope() -> None:
    trace = Trace(
        "evil@x\r\nBcc: victim@y",
        "alice@example.org",
        "helo\r\nX: 1",
        "[127.0.0.1]",
        "mx.example.org",
        "id1",
    )
    headers = trace_headers(trace, now=0).decode()
    lines = headers.split("\r\n")
    assert lines[0] == "Return-Path: <evil@xBcc: victim@y>"
    assert lines[1] == "Delivered-To: alice@example.org"
    assert all(
        ln.startswith(("Return-Path:", "Delivered-To:", "Received:", "\t")) for ln in lines[:-1]
    )
    assert headers.endswith("\r\n")


def test_a_null_sender_gives_an_empty_return_path() -> None:
    trace = Trace("<>", "a@b", "h", "local", "mx", "id")
    assert trace_headers(trace, now=0).startswith(b"Return-Path: <>\r\n")
