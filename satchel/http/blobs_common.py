"""What upload and download share: finding the account a blob URL names, for this user.

RFC 8620 section 6: both URLs name an account; one the user cannot see is answered 404, exactly
like one that does not exist, so account ids of other users cannot be probed.
"""

from __future__ import annotations

from satchel.http.authn import accounts_of
from satchel.http.responses import HttpProblem
from satchel.store.base import Account, Store, User


async def visible_account(store: Store, user: User, account_id: str) -> Account:
    for account in await accounts_of(store, user):
        if account.id == account_id:
            return account
    raise HttpProblem(404, "no such account")
