"""The PushSubscription part of the storage protocols (RFC 8620 section 7.2, issue 5).

A subscription belongs to a user rather than an account and is not JMAP account data: it has no
state and no /changes, so any write transaction (the account-less one, `store.write("", ...)`)
may touch it. The SQLite implementation is `satchel/store/sqlite_push.py`; `ReadTxn`/`WriteTxn`
include these."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class PushSubscriptionRow:
    id: str
    user_id: str
    credential: str  # "password" or "token:<hash>": who may see it, what revoking ends it
    device_client_id: str
    url: str
    p256dh: str | None  # keys.p256dh as the client sent it (URL-safe base64); None: no keys
    auth: str | None
    verification_code: str  # the code sent in the PushVerification
    verified: bool  # the client has set the code back
    expires: float  # seconds since the epoch
    types: tuple[str, ...] | None  # None: every type
    created_at: float


class PushReadTxn(Protocol):
    def push_subscription(self, subscription_id: str) -> PushSubscriptionRow | None: ...

    def push_subscriptions_of_user(self, user_id: str) -> list[PushSubscriptionRow]:
        """Every subscription of a user (expired ones included, whatever the credentials), in
        id order."""
        ...

    def push_subscriptions_for_account(self, account_id: str) -> list[PushSubscriptionRow]:
        """The verified subscriptions of every user who can see the account (today its owner),
        in id order: those a StateChange of the account goes to, once the expired ones are
        left out. Expired ones are in, so that the answer depends on nothing but the directory
        (the dispatcher remembers it, `Store.read_directory_memo`)."""
        ...


class PushWriteTxn(PushReadTxn, Protocol):
    def create_push_subscription(self, row: PushSubscriptionRow) -> None: ...

    def update_push_subscription(
        self,
        subscription_id: str,
        *,
        verified: bool,
        expires: float,
        types: tuple[str, ...] | None,
    ) -> bool:
        """Change the mutable fields; False if there is no such subscription."""
        ...

    def delete_push_subscription(self, subscription_id: str) -> bool:
        """Destroy a subscription, overwriting its URL and keys first (RFC 8620 section 7.2:
        erase them as soon as possible); False if there was none."""
        ...

    def purge_expired_push_subscriptions(self, now: float) -> int:
        """Destroy every subscription that expired by `now`; how many went."""
        ...
