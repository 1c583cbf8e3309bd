"""Parsing the `Authorization` header into credentials, and the `WWW-Authenticate` challenge.

Pure functions, no I/O: anything malformed parses to None, which the caller answers with 401.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

REALM = "Satchel"

# RFC 6750 section 2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
_B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")


@dataclass(frozen=True, slots=True)
class BasicCredentials:
    username: str
    password: str


@dataclass(frozen=True, slots=True)
class BearerCredentials:
    token: str


Credentials = BasicCredentials | BearerCredentials


def split_authorization(header: str | None) -> tuple[str, str]:
    """(scheme in lowercase, credentials) of an `Authorization` header value; ("", "") for none.

    RFC 7235 section 2.1: the scheme name is case-insensitive and separated from its
    credentials by one or more spaces.
    """
    if not header:
        return "", ""
    scheme, _, rest = header.strip().partition(" ")
    return scheme.lower(), rest.strip(" ")


def parse_authorization(header: str | None) -> Credentials | None:
    """Basic or Bearer credentials from an `Authorization` header value, or None."""
    scheme, rest = split_authorization(header)
    if not rest:
        return None
    if scheme == "basic":
        return _parse_basic(rest)
    if scheme == "bearer":
        return BearerCredentials(rest) if _B64TOKEN.fullmatch(rest) else None
    return None


def _parse_basic(token68: str) -> BasicCredentials | None:
    # RFC 7617 section 2: base64 of user-id ":" password; the user-id holds no colon, so the
    # first colon separates them. Section 2.1: with charset="UTF-8" both are UTF-8.
    try:
        raw = base64.b64decode(token68, validate=True)
        text = raw.decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    username, colon, password = text.partition(":")
    if not colon or not username:
        return None
    return BasicCredentials(username, password)


def www_authenticate() -> str:
    """The `WWW-Authenticate` value for a 401: both schemes Satchel accepts (RFC 7617 section 2.1
    charset parameter; RFC 6750 section 3 Bearer challenge)."""
    return f'Basic realm="{REALM}", charset="UTF-8", Bearer realm="{REALM}"'
