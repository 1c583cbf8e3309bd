"""Authorization header parsing (RFC 7617 Basic, RFC 6750 Bearer): malformed input is None."""

from __future__ import annotations

import base64

import pytest

from satchel.auth.headers import (
    BasicCredentials,
    BearerCredentials,
    parse_authorization,
    www_authenticate,
)


def basic(raw: bytes) -> str:
    return "Basic " + base64.b64encode(raw).decode("ascii")


def test_basic_splits_at_the_first_colon() -> None:
    assert parse_authorization(basic(b"alice:pa:ss")) == BasicCredentials("alice", "pa:ss")


def test_basic_is_utf8() -> None:
    header = basic("jöhn:пароль".encode())
    assert parse_authorization(header) == BasicCredentials("jöhn", "пароль")


def test_scheme_is_case_insensitive_and_spaces_tolerated() -> None:
    token = base64.b64encode(b"a:b").decode()
    assert parse_authorization(f"bAsIc   {token} ") == BasicCredentials("a", "b")
    assert parse_authorization("BEARER stl_x") == BearerCredentials("stl_x")


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Basic",
        "Basic ",
        "Basic !!!notbase64!!!",
        "Basic YWxpY2U",  # bad padding
        basic(b"no-colon-here"),
        basic(b":password-without-user"),
        basic(b"alice:\xff\xfe"),  # not UTF-8
        "Basic " + "w6k=" + "\u00e9",  # non-ASCII in the base64
        "Bearer",
        "Bearer two words",
        "Bearer tok\u00e9n",
        "Digest username=alice",
        "alice:password",
    ],
)
def test_malformed_headers_are_none(header: str | None) -> None:
    assert parse_authorization(header) is None


def test_empty_password_is_still_credentials() -> None:
    assert parse_authorization(basic(b"alice:")) == BasicCredentials("alice", "")


def test_www_authenticate_offers_basic_with_utf8_and_bearer() -> None:
    value = www_authenticate()
    assert value.startswith('Basic realm="Satchel", charset="UTF-8"')
    assert 'Bearer realm="Satchel"' in value
