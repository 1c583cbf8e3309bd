"""Authentication: turns an `Authorization` header into a stored User, or None.

HTTP Basic (RFC 7617) passwords are verified with argon2 off the event loop, and successful
verifications are cached briefly (see `cache.py`); Bearer tokens (RFC 6750) are looked up by
their sha-256. Failures take the same time whether or not the user exists, plus
`settings.failed_login_delay`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
from collections.abc import Callable

from satchel.auth.cache import CredentialCache
from satchel.auth.headers import (
    BasicCredentials,
    BearerCredentials,
    parse_authorization,
    www_authenticate,
)
from satchel.auth.passwords import dummy_hash, hash_password, needs_rehash, verify_password
from satchel.auth.tokens import token_hash
from satchel.config import Settings
from satchel.store.base import ReadTxn, Store, User, WriteTxn

__all__ = ["Authenticator", "www_authenticate"]

VerifyFn = Callable[[str, str], bool]

_log = logging.getLogger(__name__)


class Authenticator:
    """Turns an `Authorization` header into a User: HTTP Basic (argon2-verified, with successful
    verifications cached briefly under a fast keyed hash) or Bearer (tokens from `satchel token
    create`, stored only as hashes). A failure costs the same time whether or not the user
    exists, plus `settings.failed_login_delay`.

    `verify` is the password check (hash, password) -> bool, run on a worker thread; it is a
    parameter so that callers can see how often argon2 actually runs."""

    def __init__(
        self, store: Store, settings: Settings, *, verify: VerifyFn = verify_password
    ) -> None:
        self.store = store
        self.settings = settings
        self._verify = verify
        self._cache = CredentialCache(settings.credential_cache_seconds)
        # Each argon2 verify holds ~19 MiB: bound how many run at once.
        self._hashing = asyncio.Semaphore(os.cpu_count() or 1)

    async def authenticate(self, authorization: str | None) -> User | None:
        credentials = parse_authorization(authorization)
        user: User | None = None
        if isinstance(credentials, BasicCredentials):
            user = await self._basic(credentials)
        elif isinstance(credentials, BearerCredentials):
            digest = token_hash(credentials.token)
            user = self.store.read_directory_memo(
                ("token", digest), lambda txn: txn.user_by_token(digest)
            )
        if user is None and authorization:
            # Slow down guessing. A request without any credentials is not a failed login.
            await asyncio.sleep(self.settings.failed_login_delay)
        return user

    async def _basic(self, credentials: BasicCredentials) -> User | None:
        # Usernames are lowercase (see the CLI's name rule); accept "Admin" for "admin".
        username = credentials.username.lower()
        password = credentials.password

        def lookup(txn: ReadTxn) -> User | None:
            return txn.user_by_name(username)

        user = self.store.read_directory_memo(("user", username), lookup)
        key = self._cache.key(username, password)
        cached = self._cache.get(key)
        if cached is not None:
            if user is not None and (cached.user_id, cached.password_hash) == (
                user.id,
                user.password_hash,
            ):
                return user
            self._cache.discard(key)  # the password changed or the user was replaced

        stored = user.password_hash if user is not None else None

        def verify() -> bool:
            # An unknown user is verified against a dummy hash, so it takes just as long.
            return self._verify(stored if stored is not None else dummy_hash(), password)

        async with self._hashing:
            ok = await asyncio.to_thread(verify)
        if user is None or not ok:
            return None
        if needs_rehash(user.password_hash):
            user = await self._upgrade_hash(user, password)
        self._cache.put(key, user.id, user.password_hash)
        return user

    async def _upgrade_hash(self, user: User, password: str) -> User:
        """Re-hash a password stored with older parameters, now that we know it. Best effort:
        if the write fails the login still succeeds, and the next login tries again."""
        async with self._hashing:
            new_hash = await asyncio.to_thread(hash_password, password)

        def store_hash(txn: WriteTxn) -> None:
            txn.set_password(user.id, new_hash)

        try:
            await self.store.write("", store_hash)
        except Exception:
            _log.warning("could not upgrade the password hash of user %s", user.id, exc_info=True)
            return user
        return dataclasses.replace(user, password_hash=new_hash)
