"""What a method call may see: the authenticated user, their accounts, the store and the request's
shared state (createdIds, commits to publish). Passed explicitly to every handler."""

from __future__ import annotations

from dataclasses import dataclass, field

from satchel.core.errors import MethodError, account_not_found
from satchel.core.limits import CoreLimits
from satchel.core.registry import Registry
from satchel.store.base import Account, CommitResult, Store, User


@dataclass(slots=True)
class RequestContext:
    user: User
    accounts: dict[str, Account]
    store: Store
    registry: Registry
    limits: CoreLimits
    created_ids: dict[str, str] = field(default_factory=dict)
    commits: list[CommitResult] = field(default_factory=list)
    using: frozenset[str] = frozenset()
    # The credentials the request authenticated with: "password", or "token:" and the token's
    # hash. PushSubscriptions are tied to them (RFC 8620 section 7.2); None counts as "password".
    credential: str | None = None

    def account(self, account_id: object) -> Account:
        """The account named by a method's `accountId` argument, if this user may see it."""
        if not isinstance(account_id, str):
            raise MethodError("invalidArguments", "accountId must be a string")
        account = self.accounts.get(account_id)
        if account is None:
            raise account_not_found(account_id)
        return account

    def writable_account(self, account_id: object) -> Account:
        account = self.account(account_id)
        if account.is_read_only:
            raise MethodError("accountReadOnly", f"account {account_id} is read-only")
        return account

    def record_commit(self, commit: CommitResult) -> None:
        """Remember a commit that changed something, for the push bus after the response."""
        if commit.changed_types:
            self.commits.append(commit)
