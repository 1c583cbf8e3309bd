"""RFC 8621 section 4.1.2 header forms and section 4.1.3 header:{name}:as{Form}[:all], one table
per form, tricky inputs included."""

from __future__ import annotations

from typing import Any

import pytest

from satchel.mail.mime import form_allowed, header_property, parse_message
from satchel.mail.mime.charsets import header_text
from satchel.mail.mime.headers import addresses, date_form, grouped_addresses, message_ids, urls


def value_of(raw: bytes, prop: str) -> Any:
    """header:{name}[:as{Form}][:all] of a message."""
    pieces = prop.split(":")[1:]
    name = pieces[0]
    all_ = pieces[-1] == "all"
    form = pieces[1][2:] if len(pieces) > 1 and pieces[1].startswith("as") else "Raw"
    return header_property(raw, parse_message(raw).root.headers, form, name, all_)


RFC_EXAMPLE = (
    '"  James Smythe" <james@example.com>, Friends:\r\n'
    "  jane@example.com, =?UTF-8?Q?John_Sm=C3=AEth?=\r\n  <john@example.com>;"
)


def test_rfc_example_addresses_and_groups() -> None:
    assert addresses(RFC_EXAMPLE) == [
        {"name": "James Smythe", "email": "james@example.com"},
        {"name": None, "email": "jane@example.com"},
        {"name": "John Smîth", "email": "john@example.com"},
    ]
    assert grouped_addresses(RFC_EXAMPLE) == [
        {"name": None, "addresses": [{"name": "James Smythe", "email": "james@example.com"}]},
        {
            "name": "Friends",
            "addresses": [
                {"name": None, "email": "jane@example.com"},
                {"name": "John Smîth", "email": "john@example.com"},
            ],
        },
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (' "Doe, John" <john@example.com>', [("Doe, John", "john@example.com")]),
        (' "A \\"quoted\\" name" <a@x>', [('A "quoted" name', "a@x")]),
        (" john@example.com (John Doe)", [("John Doe", "john@example.com")]),
        (" <bare@example.com>", [(None, "bare@example.com")]),
        (" Plain Name <p@x>, q@y", [("Plain Name", "p@x"), (None, "q@y")]),
        (" =?iso-8859-1?q?J=F6rg?= <j@x>", [("Jörg", "j@x")]),
        (' "=?utf-8?B?w6lsw6hvbg==?=" <e@x>', [("élèon", "e@x")]),
        (" =?utf-8?q?Re:_Mr_X?= <x@y>", [("Re: Mr X", "x@y")]),
        (" undisclosed-recipients:;", []),
        (" <@route,@r2:user@host>", [(None, "user@host")]),
        (" a@x,, ,b@y,", [(None, "a@x"), (None, "b@y")]),
        (" Jane Roe jane@example.com", [("Jane Roe", "jane@example.com")]),
        (' "john.doe"@example.com', [(None, "john.doe@example.com")]),
        (" not an address", [(None, "not an address")]),
        (" <unterminated@x", [(None, "unterminated@x")]),
        (' "unterminated <u@x>', [(None, "unterminated <u@x>")]),
        (" ((nested) comment) a@b", [(None, "a@b")]),
        ("", []),
        (' :;,<>()"', []),
    ],
)
def test_addresses(value: str, expected: list[tuple[str | None, str]]) -> None:
    assert [(a["name"], a["email"]) for a in addresses(value)] == expected


def test_grouped_addresses_keep_ungrouped_runs_apart() -> None:
    value = " a@x, b@x, G: c@x;, d@x, Empty:;"
    assert grouped_addresses(value) == [
        {
            "name": None,
            "addresses": [{"name": None, "email": "a@x"}, {"name": None, "email": "b@x"}],
        },
        {"name": "G", "addresses": [{"name": None, "email": "c@x"}]},
        {"name": None, "addresses": [{"name": None, "email": "d@x"}]},
        {"name": "Empty", "addresses": []},
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (" Hello", "Hello"),
        ("   leading spaces kept after the first", "leading spaces kept after the first"),
        (" folded\r\n line", "folded line"),
        (" =?utf-8?q?caf=C3=A9?= =?utf-8?q?_au_lait?=", "café au lait"),  # adjacent words join
        (" =?utf-8?q?a?= b =?utf-8?q?c?=", "a b c"),
        (" x=?utf-8?q?notdecoded?=", "x=?utf-8?q?notdecoded?="),  # RFC 2047 placement
        (" =?unknown-charset?q?kept?=", "=?unknown-charset?q?kept?="),
        (" =?utf-8?q?nul=00and=07bell?=", "nulandbell"),  # controls dropped
        (" =?ISO-2022-JP?B?GyRCJEgkYRsoQg==?=", "とめ"),
        (" =?gb2312?B?1tDOxA==?=", "中文"),
        (" =?koi8-r?B?8NLJ18XU?=", "Привет"),
        (" =?windows-1252?Q?=93quotes=94?=", "\u201cquotes\u201d"),
        (" =?utf-8*en?Q?lang?=", "lang"),  # RFC 2231 section 5 language suffix
        (" =?utf-8?B?broken base64?=", "=?utf-8?B?broken base64?="),
        (" e\u0301", "\u00e9"),  # NFC
    ],
)
def test_text_form(value: str, expected: str) -> None:
    assert header_text(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (" <a@b>", ["a@b"]),
        (" <a@b> <c@d>\r\n\t<e@f>", ["a@b", "c@d", "e@f"]),
        (" (comment) <a@b> (more)", ["a@b"]),
        (" <a@\r\n b>", ["a@b"]),
        (" bare@id", ["bare@id"]),
        (" garbage", None),
        (" ", None),
        (" <>", None),
    ],
)
def test_message_ids(value: str, expected: list[str] | None) -> None:
    assert message_ids(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (" Thu, 13 Feb 1975 23:32:00 -0330", "1975-02-13T23:32:00-03:30"),
        (" Fri, 21 Nov 1997 09:55:06 -0600", "1997-11-21T09:55:06-06:00"),
        (" 1 Jan 2024 00:00:00 +0000", "2024-01-01T00:00:00Z"),
        (" Mon, 1 Jan 2024 10:20 +0530", "2024-01-01T10:20:00+05:30"),
        (" Tue, 1 Jul 03 10:52:37 GMT", "2003-07-01T10:52:37Z"),
        (" 21 Nov 97 09:55:06 EST", "1997-11-21T09:55:06-05:00"),
        (" Thu, 13\r\n Feb 1975 23:32:00 -0330 (NST)", "1975-02-13T23:32:00-03:30"),
        (" 30 Jun 2016 23:59:60 +0000", "2016-06-30T23:59:59Z"),
        (" 29 Feb 2023 10:00:00 +0000", None),
        (" 29 Feb 2024 10:00:00 +0000", "2024-02-29T10:00:00Z"),
        (" 32 Jan 2024 10:00:00 +0000", None),
        (" 1 Foo 2024 10:00:00 +0000", None),
        (" 1 Jan 2024 25:00:00 +0000", None),
        (" 1 Jan 2024 10:00:00 +9960", None),
        (" yesterday", None),
        ("", None),
    ],
)
def test_date_form(value: str, expected: str | None) -> None:
    assert date_form(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            " <mailto:list@host.com?subject=help> (Instructions)",
            ["mailto:list@host.com?subject=help"],
        ),
        (" <https://x/u>,\r\n <mailto:u@x>", ["https://x/u", "mailto:u@x"]),
        (" NO (posting not allowed)", None),
    ],
)
def test_urls(value: str, expected: list[str] | None) -> None:
    assert urls(value) == expected


MESSAGE = (
    b"Resent-To: a@x\r\n"
    b"Subject: first\r\n"
    b"Resent-To: B <b@x>, c@x\r\n"
    b"subject: =?utf-8?q?second?=\r\n"
    b"X-Custom: <u@v>\r\n"
    b"\r\n"
)


@pytest.mark.parametrize(
    ("prop", "expected"),
    [
        ("header:Subject", " =?utf-8?q?second?="),  # the last instance, raw
        ("header:SUBJECT:asText", "second"),
        ("header:subject:all", [" first", " =?utf-8?q?second?="]),
        ("header:Subject:asText:all", ["first", "second"]),
        (
            "header:Resent-To:asAddresses:all",
            [
                [{"name": None, "email": "a@x"}],
                [{"name": "B", "email": "b@x"}, {"name": None, "email": "c@x"}],
            ],
        ),
        ("header:X-Custom:asMessageIds", ["u@v"]),
        ("header:X-Custom:asURLs", ["u@v"]),
        ("header:Missing", None),
        ("header:Missing:asAddresses:all", []),
    ],
)
def test_header_property(prop: str, expected: Any) -> None:
    assert value_of(MESSAGE, prop) == expected


def test_unknown_form_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown header form"):
        header_property(b"", [], "Bogus", "Subject", False)


@pytest.mark.parametrize(
    ("form", "name", "allowed"),
    [
        ("Raw", "From", True),
        ("Text", "Subject", True),
        ("Text", "From", False),
        ("Text", "List-Id", True),
        ("Text", "X-Anything", True),
        ("Addresses", "resent-cc", True),
        ("Addresses", "Subject", False),
        ("GroupedAddresses", "To", True),
        ("MessageIds", "References", True),
        ("MessageIds", "Date", False),
        ("Date", "Resent-Date", True),
        ("Date", "Received", False),
        ("URLs", "List-Post", True),
        ("URLs", "List-Id", True),  # RFC 2919, not RFC 5322 or 2369
        ("URLs", "To", False),
        ("Bogus", "X-Anything", False),
    ],
)
def test_form_allowed(form: str, name: str, allowed: bool) -> None:
    assert form_allowed(form, name) is allowed
