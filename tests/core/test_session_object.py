"""The Session object (RFC 8620 section 2) and the URL templates clients expand (CONTRACT.md
points 2 and 3)."""

from __future__ import annotations

import re
from typing import Any

from satchel.core.core_methods import register_core
from satchel.core.limits import CoreLimits
from satchel.core.registry import Capability, Registry
from satchel.core.session import build_session, session_state
from satchel.store.base import Account, User

CORE = "urn:ietf:params:jmap:core"
MAIL = "urn:ietf:params:jmap:mail"
WS = "urn:ietf:params:jmap:websocket"

LIMITS = CoreLimits()
ALICE = User(id="u1", username="alice@example.com", password_hash="x")
ALICE_ACCOUNT = Account(id="A1", name="alice@example.com", owner_user_id="u1")
SHARED = Account(id="S9", name="team", owner_user_id="u2", is_personal=False, is_read_only=True)


def registry() -> Registry:
    reg = Registry()
    register_core(reg, LIMITS)
    reg.add_capability(
        Capability(
            uri=MAIL,
            session_value=dict,
            account_value=lambda account: {"maxMailboxDepth": 10} if account.is_personal else None,
        )
    )
    reg.add_capability(
        Capability(
            uri=WS,
            session_value=lambda: {"url": "wss://x/jmap/ws/", "supportsPush": True},
            account_value=lambda account: None,
        )
    )
    return reg


def session(
    accounts: list[Account] | None = None, base: str = "https://mail.example.com"
) -> dict[str, Any]:
    return build_session(
        registry(), LIMITS, ALICE, [ALICE_ACCOUNT, SHARED] if accounts is None else accounts, base
    )


def test_every_rfc_field_is_present() -> None:
    s = session()
    assert set(s) >= {
        "capabilities",
        "accounts",
        "primaryAccounts",
        "username",
        "apiUrl",
        "downloadUrl",
        "uploadUrl",
        "eventSourceUrl",
        "state",
    }
    assert s["username"] == "alice@example.com"
    assert isinstance(s["state"], str) and 0 < len(s["state"]) <= 32


def test_core_capability_has_all_limits() -> None:
    core = session()["capabilities"][CORE]
    assert core == {
        "maxSizeUpload": LIMITS.max_size_upload,
        "maxConcurrentUpload": LIMITS.max_concurrent_upload,
        "maxSizeRequest": LIMITS.max_size_request,
        "maxConcurrentRequests": LIMITS.max_concurrent_requests,
        "maxCallsInRequest": LIMITS.max_calls_in_request,
        "maxObjectsInGet": LIMITS.max_objects_in_get,
        "maxObjectsInSet": LIMITS.max_objects_in_set,
        "collationAlgorithms": list(LIMITS.collation_algorithms),
    }


def test_capabilities_come_from_the_registry() -> None:
    s = session()
    assert set(s["capabilities"]) == {CORE, MAIL, WS}
    assert s["capabilities"][WS] == {"url": "wss://x/jmap/ws/", "supportsPush": True}


def test_accounts_and_their_capabilities() -> None:
    accounts = session()["accounts"]
    assert accounts["A1"] == {
        "name": "alice@example.com",
        "isPersonal": True,
        "isReadOnly": False,
        "accountCapabilities": {CORE: {}, MAIL: {"maxMailboxDepth": 10}},
    }
    # A capability whose account value is None is not offered on that account.
    assert accounts["S9"] == {
        "name": "team",
        "isPersonal": False,
        "isReadOnly": True,
        "accountCapabilities": {CORE: {}},
    }


def test_primary_accounts_name_the_personal_account_for_every_capability() -> None:
    assert session()["primaryAccounts"] == {CORE: "A1", MAIL: "A1", WS: "A1"}
    assert session(accounts=[SHARED])["primaryAccounts"] == {}


def test_url_templates() -> None:
    s = session(base="https://mail.example.com:8443")
    assert s["apiUrl"] == "https://mail.example.com:8443/jmap/api/"
    assert s["uploadUrl"] == "https://mail.example.com:8443/jmap/upload/{accountId}/"
    assert (
        s["downloadUrl"]
        == "https://mail.example.com:8443/jmap/download/{accountId}/{blobId}/{name}?type={type}"
    )
    assert s["eventSourceUrl"] == (
        "https://mail.example.com:8443/jmap/eventsource/"
        "?types={types}&closeafter={closeafter}&ping={ping}"
    )


def test_url_templates_have_exactly_the_rfc_variables() -> None:
    s = session()
    expected = {
        "apiUrl": set(),
        "uploadUrl": {"accountId"},
        "downloadUrl": {"accountId", "blobId", "type", "name"},
        "eventSourceUrl": {"types", "closeafter", "ping"},
    }
    for field, variables in expected.items():
        url = s[field]
        assert url.startswith("https://mail.example.com/")
        found = re.findall(r"\{([^{}]*)\}", url)
        assert sorted(found) == sorted(variables), field
        # No stray braces outside the variables (CONTRACT.md point 2).
        assert re.sub(r"\{[a-zA-Z]+\}", "", url).count("{") == 0
        assert re.sub(r"\{[a-zA-Z]+\}", "", url).count("}") == 0


def test_trailing_slash_in_base_url_is_not_doubled() -> None:
    assert session(base="http://localhost:8080/")["apiUrl"] == "http://localhost:8080/jmap/api/"


def test_state_is_stable_and_matches_session_state() -> None:
    s = session()
    assert s["state"] == session()["state"]
    assert s["state"] == session_state(registry(), LIMITS, ALICE, [ALICE_ACCOUNT, SHARED])
    # The URLs depend on how the client reached us, not on the Session's content.
    assert session(base="http://127.0.0.1:8080")["state"] == s["state"]


def test_state_changes_when_the_session_does() -> None:
    s = session()
    assert session(accounts=[ALICE_ACCOUNT])["state"] != s["state"]
    renamed = Account(id="A1", name="Alice", owner_user_id="u1")
    assert session(accounts=[renamed, SHARED])["state"] != s["state"]
    other_limits = build_session(
        registry(), CoreLimits(max_objects_in_get=5), ALICE, [ALICE_ACCOUNT, SHARED], "https://x"
    )
    assert other_limits["state"] != s["state"]
