"""A short-lived cache of successful password verifications, so argon2 runs once per login
rather than once per request.

Entries are keyed by a keyed BLAKE2b of (username, password) under a random key made per process:
the cache never holds a password, nor anything that helps guess one without that key. Each entry
remembers the stored hash it was verified against; the caller drops the entry when the user's
hash has changed since (password changed or user recreated).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

MAX_ENTRIES = 10_000


@dataclass(frozen=True, slots=True)
class CachedLogin:
    user_id: str
    password_hash: str
    expires_at: float


class CredentialCache:
    def __init__(
        self,
        ttl_seconds: float,
        max_entries: int = MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl_seconds
        self._max = max_entries
        self._clock = clock
        self._key = secrets.token_bytes(32)
        self._entries: OrderedDict[bytes, CachedLogin] = OrderedDict()

    def key(self, username: str, password: str) -> bytes:
        """Keyed BLAKE2b over the length-prefixed username and the password (the prefix keeps
        ("a:b", "c") and ("a", "b:c") apart). BLAKE2b's key mode is a MAC by design, and
        CPython's own implementation takes ~1 us here against ~2.7 us for OpenSSL's HMAC."""
        user = username.encode("utf-8", "surrogatepass")
        message = len(user).to_bytes(4, "big") + user + password.encode("utf-8", "surrogatepass")
        return hashlib.blake2b(message, key=self._key, digest_size=32).digest()

    def get(self, key: bytes) -> CachedLogin | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires_at <= self._clock():
            del self._entries[key]
            return None
        return entry

    def put(self, key: bytes, user_id: str, password_hash: str) -> None:
        if self._ttl <= 0:
            return
        self._entries.pop(key, None)
        self._entries[key] = CachedLogin(user_id, password_hash, self._clock() + self._ttl)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def discard(self, key: bytes) -> None:
        self._entries.pop(key, None)

    def __len__(self) -> int:
        return len(self._entries)
