"""Inputs built to make regular expressions or loops go quadratic (or worse): each must be
handled in linear time. The sizes make a quadratic algorithm take minutes, linear ones take
milliseconds."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from satchel.mail.mime import parse_message, summarize
from satchel.mail.mime.bodies import html_to_text
from satchel.mail.mime.charsets import header_text
from satchel.mail.mime.headers import grouped_addresses, message_ids, parse_date, urls
from satchel.mail.mime.params import parse_structured, strip_comments

N = 50_000


@pytest.mark.parametrize(
    ("fn", "arg"),
    [
        (html_to_text, "<" + "a" * N),  # an unclosed tag
        (html_to_text, "</" * N),
        (html_to_text, "<script" * (N // 4)),
        (html_to_text, "<!--" * (N // 4)),
        (parse_date, "Mon, 1" + " " * N + "Jan" + " " * N + "99"),
        (parse_date, "1" * N),
        (grouped_addresses, "=?" * N),
        (grouped_addresses, "<" * N + '"' * N + "(" * N),
        (grouped_addresses, "a:" * N + ";" * N + "," * N),
        (header_text, "=?utf-8?q?" * (N // 4)),
        (header_text, "=?utf-8?q?a?= " * (N // 4)),
        (parse_structured, "a/b;" + "x*" * N + "=1;" + '"\\' * N),
        (parse_structured, "a/b;" + "x*0*=utf-8''%%;" * (N // 4)),
        (strip_comments, "(" * N + "\\" * N),
        (message_ids, "<" * N + "a@b " * N),
        (urls, "<" * N + ">" * N),
    ],
    ids=lambda v: getattr(v, "__name__", "input"),
)
def test_linear_time(fn: Callable[[str], Any], arg: str) -> None:
    started = time.perf_counter()
    fn(arg)
    assert time.perf_counter() - started < 5  # well under 1 s here; quadratic: minutes


def test_a_huge_header_block_and_unclosed_html() -> None:
    raw = (
        b"Subject: " + b"=?utf-8?q?x?= " * 20_000 + b"\r\n"
        + b"To: " + b"a@b, " * 20_000 + b"\r\n"
        + b"X-Folded: x\r\n" + b" folded\r\n" * 20_000
        + b"Content-Type: text/html\r\n\r\n<" + b"a" * 300_000
    )  # fmt: skip
    started = time.perf_counter()
    summary = summarize(raw, parse_message(raw), "G")
    assert time.perf_counter() - started < 5
    assert len(summary["to"]) == 20_000
