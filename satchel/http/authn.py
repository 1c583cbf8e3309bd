"""Authentication of every request (except CORS preflight) and the user's visible accounts.

A failed login is a 401 carrying the `WWW-Authenticate` challenges for both schemes we accept
(RFC 7235 section 4.1; Basic per RFC 7617, Bearer per RFC 6750). The body is the same whether the
user is unknown, the password wrong or the header malformed, so it reveals nothing.
"""

from __future__ import annotations

from starlette.requests import Request

from satchel.auth.headers import split_authorization, www_authenticate
from satchel.auth.tokens import token_hash
from satchel.http.baseurl import request_base_url
from satchel.http.responses import HttpProblem
from satchel.services import Services
from satchel.store.base import Account, ReadTxn, Store, User


def unauthorized() -> HttpProblem:
    return HttpProblem(
        401,
        "authentication required: valid Basic or Bearer credentials",
        headers={"WWW-Authenticate": www_authenticate()},
    )


async def require_user(request: Request, services: Services) -> User:
    user = await services.authenticator.authenticate(request.headers.get("authorization"))
    if user is None:
        raise unauthorized()
    return user


def credential_key(authorization: str | None) -> str:
    """Which credentials a request used, as `RequestContext.credential` names them: a Bearer
    token by its hash (revoking it revokes what was tied to it), any password as "password".
    Asked once the request has authenticated, so only the scheme needs reading (decoding Basic
    credentials a second time cost every request ~4 us)."""
    scheme, rest = split_authorization(authorization)
    return "token:" + token_hash(rest) if scheme == "bearer" else "password"


async def accounts_of(store: Store, user: User) -> list[Account]:
    """The accounts this user may see, as of now: a revoked share or deleted account is gone on
    the next request (the memo lasts only while the directory is unchanged)."""

    def read(txn: ReadTxn) -> tuple[Account, ...]:
        return tuple(txn.accounts_for_user(user.id))

    return list(store.read_directory_memo(("accounts", user.id), read))


def base_url(request: Request, services: Services) -> str:
    settings = services.settings
    scope = request.scope
    client = scope.get("client")
    server = scope.get("server")
    return request_base_url(
        scheme=scope.get("scheme", "http"),
        headers=request.headers,
        peer=client[0] if client else None,
        server=(server[0], server[1]) if server else None,
        trusted_proxies=settings.trusted_proxies,
        configured=settings.base_url,
    )
