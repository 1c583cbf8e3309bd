"""CONTRACT STUB (owned by the auth/CLI helper; replace the body, keep the signatures)."""

from __future__ import annotations

from satchel.config import Settings
from satchel.store.base import Store, User


class Authenticator:
    """Turns an `Authorization` header into a User: HTTP Basic (argon2-verified, with successful
    verifications cached briefly under a fast keyed hash) or Bearer (tokens from `satchel token
    create`, stored only as hashes). A failure costs the same time whether or not the user
    exists, plus `settings.failed_login_delay`."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings

    async def authenticate(self, authorization: str | None) -> User | None:
        raise NotImplementedError
