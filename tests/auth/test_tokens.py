"""Bearer tokens are high-entropy, recognisable and stored only as sha-256."""

from __future__ import annotations

import hashlib

from satchel.auth.headers import BearerCredentials, parse_authorization
from satchel.auth.tokens import TOKEN_PREFIX, generate_token, token_hash


def test_tokens_are_unique_prefixed_and_valid_bearer_syntax() -> None:
    tokens = {generate_token() for _ in range(100)}
    assert len(tokens) == 100
    for token in tokens:
        assert token.startswith(TOKEN_PREFIX)
        assert len(token) >= len(TOKEN_PREFIX) + 43  # 32 random bytes
        assert parse_authorization(f"Bearer {token}") == BearerCredentials(token)


def test_token_hash_is_hex_sha256() -> None:
    assert token_hash("stl_abc") == hashlib.sha256(b"stl_abc").hexdigest()
    assert token_hash("stl_abc") != token_hash("stl_abd")
