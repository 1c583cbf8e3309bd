"""Password hashing and generation: what the authenticator and the CLI rely on."""

from __future__ import annotations

import re

from argon2 import PasswordHasher

from satchel.auth.passwords import (
    PASSWORD_ALPHABET,
    generate_password,
    hash_password,
    needs_rehash,
    verify_password,
)


def test_hash_verifies_only_the_right_password() -> None:
    stored = hash_password("correct horse ☃")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "correct horse ☃")
    assert not verify_password(stored, "correct horse")
    assert not needs_rehash(stored)


def test_same_password_hashes_differently() -> None:
    assert hash_password("pw") != hash_password("pw")


def test_malformed_hash_never_raises() -> None:
    for bad in ["", "plain", "$argon2id$v=19$m=1,t=1,p=1$bad$bad", "$2b$12$bcryptlooking", "\x00"]:
        assert verify_password(bad, "pw") is False
        assert needs_rehash(bad) is True


def test_hash_with_other_parameters_verifies_and_needs_rehash() -> None:
    old = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("pw")
    assert verify_password(old, "pw")
    assert needs_rehash(old)


def test_generated_passwords_are_four_groups_of_five_without_lookalikes() -> None:
    seen = {generate_password() for _ in range(200)}
    assert len(seen) == 200
    for password in seen:
        assert re.fullmatch(r"[^-]{5}-[^-]{5}-[^-]{5}-[^-]{5}", password)
        assert set(password.replace("-", "")) <= set(PASSWORD_ALPHABET)
    assert not set("0o1li") & set(PASSWORD_ALPHABET)
