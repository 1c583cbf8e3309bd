"""Password hashing: argon2id hashes for stored passwords, and generated passwords for newcomers.

Parameters (measured on the 2-core reference machine): argon2-cffi's defaults (RFC 9106 "low
memory": t=3, 64 MiB, 4 lanes) cost about 0.13-0.4 s per verify and 64 MiB per concurrent
verify. We use the OWASP Password Storage Cheat Sheet's first argon2id configuration instead:
19 MiB, 2 iterations, 1 lane (~40 ms here). That keeps a burst of concurrent logins from
exhausting memory on a small server while still costing an offline attacker 19 MiB per guess;
the authenticator caches successful verifications, so the cost is paid once per login, not per
request. Stored hashes with other parameters still verify, and `needs_rehash` tells the caller to
upgrade them on the next successful login.
"""

from __future__ import annotations

import secrets
from functools import cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import Argon2Error

TIME_COST = 2
MEMORY_COST_KIB = 19 * 1024
PARALLELISM = 1

_HASHER = PasswordHasher(
    time_cost=TIME_COST,
    memory_cost=MEMORY_COST_KIB,
    parallelism=PARALLELISM,
    hash_len=32,
    salt_len=16,
    type=Type.ID,
)

# No 0/o, 1/l/i: a generated password must survive being read aloud or copied by hand.
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
PASSWORD_GROUPS = 4
PASSWORD_GROUP_LENGTH = 5


def hash_password(password: str) -> str:
    """An argon2id hash (PHC string format) of `password` with a fresh random salt."""
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when `password` matches `password_hash`. Never raises: a malformed or unsupported
    hash simply does not match."""
    try:
        return _HASHER.verify(password_hash, password)
    except (Argon2Error, ValueError, TypeError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other parameters than ours (or cannot be read)."""
    try:
        return _HASHER.check_needs_rehash(password_hash)
    except (Argon2Error, ValueError, TypeError):
        return True


@cache
def dummy_hash() -> str:
    """A hash of a random password nobody knows, verified against when a user does not exist so
    that a failed login costs the same time either way."""
    return hash_password(secrets.token_urlsafe(32))


def generate_password() -> str:
    """A strong password that is easy to copy: 4 groups of 5 characters from a 31-character
    alphabet without look-alikes (about 99 bits of entropy), e.g. `k7mq2-xw9ab-...`."""
    return "-".join(
        "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_GROUP_LENGTH))
        for _ in range(PASSWORD_GROUPS)
    )
