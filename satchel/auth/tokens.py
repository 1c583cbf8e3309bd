"""Bearer tokens (`satchel token create`): generated with high entropy, stored only as hashes.

A token is random enough (256 bits) that a fast unsalted sha-256 is the right way to store it:
there is nothing to brute-force, and the lookup by hash is a single indexed read.
"""

from __future__ import annotations

import hashlib
import secrets

TOKEN_PREFIX = "stl_"
TOKEN_BYTES = 32


def generate_token() -> str:
    """A new token: the `stl_` prefix (so leaked tokens are easy to recognise and scan for) and
    32 random bytes in URL-safe base64, which is valid RFC 6750 `b64token` syntax."""
    return TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """The hex sha-256 of the token: the only form in which tokens are stored."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
