"""The Session object (RFC 8620 section 2), built from the registered capabilities and the accounts
the user can see, and its `state`, which API responses repeat as `sessionState` (section 3.4).

The state digests everything but the four URLs: those depend only on the address the client used
to reach the server, which the engine does not see, and the Session resource and the API are
reached at the same address, so both places compute the same state from the same inputs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import orjson

from satchel.core.limits import CoreLimits
from satchel.core.registry import Registry
from satchel.store.base import Account, User

CORE_CAPABILITY = "urn:ietf:params:jmap:core"
WEBSOCKET_CAPABILITY = "urn:ietf:params:jmap:websocket"


def websocket_url(base_url: str) -> str:
    """RFC 8887 section 3: the endpoint's ws:// or wss:// URL (wss when reached over https)."""
    scheme, _, rest = base_url.rstrip("/").partition("://")
    return f"{'wss' if scheme == 'https' else 'ws'}://{rest}/jmap/ws/"


# Capabilities whose Session value holds a URL of this server. Like apiUrl, it depends on the
# address the client used, so it joins the value after the state is digested: the Session's
# state and the API's sessionState (which never sees that address) stay equal.
URL_FIELDS: dict[str, Callable[[str], dict[str, Any]]] = {
    WEBSOCKET_CAPABILITY: lambda base: {"url": websocket_url(base)},
}


def build_session(
    registry: Registry,
    limits: CoreLimits,
    user: User,
    accounts: list[Account],
    base_url: str,
) -> dict[str, Any]:
    """The Session object (RFC 8620 section 2) with every field. `base_url` is the absolute URL
    prefix of the server as the client reached it, e.g. "https://mail.example.com" (no trailing
    slash); the URLs are built from it: {base}/jmap/api/, {base}/jmap/upload/{accountId}/,
    {base}/jmap/download/{accountId}/{blobId}/{name}?type={type},
    {base}/jmap/eventsource/?types={types}&closeafter={closeafter}&ping={ping}.
    `state` is a digest of everything else, so it changes exactly when the Session does."""
    session = _session_data(registry, limits, user, accounts)
    state = _digest(session)
    base = base_url.rstrip("/")
    capabilities = session["capabilities"]
    for account_object in session["accounts"].values():
        values = account_object["accountCapabilities"]
        for uri, value in values.items():
            now = registry.capabilities[uri].account_value_now
            if now is not None:
                values[uri] = now(value)
    for uri, url_fields in URL_FIELDS.items():
        if uri in capabilities:
            capabilities[uri] = {**url_fields(base), **capabilities[uri]}
    # RFC 8620 section 2: URI Templates (level 1, RFC 6570). The type goes in the query string
    # because a media type contains a slash. No braces other than the variables appear.
    session.update(
        {
            "apiUrl": f"{base}/jmap/api/",
            "downloadUrl": f"{base}/jmap/download/{{accountId}}/{{blobId}}/{{name}}?type={{type}}",
            "uploadUrl": f"{base}/jmap/upload/{{accountId}}/",
            "eventSourceUrl": (
                f"{base}/jmap/eventsource/?types={{types}}&closeafter={{closeafter}}&ping={{ping}}"
            ),
            "state": state,
        }
    )
    return session


def session_state(
    registry: Registry, limits: CoreLimits, user: User, accounts: list[Account]
) -> str:
    """The Session's `state`, for the `sessionState` of every API response (section 3.4).

    Every API response needs it and it changes only with the user and accounts (the registry
    and limits are fixed for a process), so it is remembered per (user, accounts)."""
    key = (id(registry), id(limits), user, tuple(accounts))
    cached = _states.get(key)
    # The entry holds the registry and limits themselves, so their ids cannot be reused by
    # other objects while it exists.
    if cached is not None and cached[0] is registry and cached[1] is limits:
        return cached[2]
    if len(_states) >= _STATES_KEPT:
        _states.clear()
    state = _digest(_session_data(registry, limits, user, accounts))
    _states[key] = (registry, limits, state)
    return state


_STATES_KEPT = 4096
_states: dict[tuple[int, int, User, tuple[Account, ...]], tuple[Registry, CoreLimits, str]] = {}


def _session_data(
    registry: Registry, limits: CoreLimits, user: User, accounts: list[Account]
) -> dict[str, Any]:
    capabilities: dict[str, Any] = {}
    for uri, capability in registry.capabilities.items():
        capabilities[uri] = (
            limits.capability() if uri == CORE_CAPABILITY else capability.session_value()
        )
    capabilities.setdefault(CORE_CAPABILITY, limits.capability())

    account_objects: dict[str, Any] = {}
    for account in accounts:
        account_capabilities: dict[str, Any] = {}
        for uri, capability in registry.capabilities.items():
            value = capability.account_value(account)
            if value is not None:
                account_capabilities[uri] = value
        account_objects[account.id] = {
            "name": account.name,
            # RFC 8620 section 2: isPersonal is true when the account belongs to this user.
            "isPersonal": account.is_personal and account.owner_user_id == user.id,
            "isReadOnly": account.is_read_only,
            "accountCapabilities": account_capabilities,
        }

    # Every advertised capability points at the user's personal account (CONTRACT.md point 3;
    # clients look core up there too, although RFC 8620 section 2 says it SHOULD NOT appear).
    primary = next(
        (a for a in accounts if a.is_personal and a.owner_user_id == user.id),
        None,
    )
    primary_accounts = {uri: primary.id for uri in capabilities} if primary is not None else {}

    return {
        "capabilities": capabilities,
        "accounts": account_objects,
        "primaryAccounts": primary_accounts,
        "username": user.username,
    }


def _digest(data: dict[str, Any]) -> str:
    encoded = orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
    return hashlib.blake2b(encoded, digest_size=8).hexdigest()
