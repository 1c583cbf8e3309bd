"""A JMAP client for the EmailSubmission tests: one user through the engine with the mail and
submission capabilities, on the suite's real store, plus the draft a client composes."""

from __future__ import annotations

from typing import Any

from engine_client import EngineClient

from satchel.config import Settings
from satchel.core.limits import CoreLimits
from satchel.services import build_registry
from satchel.store.base import Store, WriteTxn

CORE = "urn:ietf:params:jmap:core"
MAIL = "urn:ietf:params:jmap:mail"
SUBMISSION = "urn:ietf:params:jmap:submission"


def add_user(store: Store, name: str) -> tuple[str, str]:
    """(user id, account id) of a new user."""

    def create(txn: WriteTxn) -> tuple[str, str]:
        user = txn.create_user(name, "not-a-hash", None)
        return user.id, txn.accounts_for_user(user.id)[0].id

    ids, _ = store.write_sync("", create)
    return ids


class SubmissionClient(EngineClient):
    def __init__(self, store: Store, settings: Settings, name: str) -> None:
        user_id, _ = add_user(store, name)
        user = store.read_sync(lambda txn: txn.user_by_id(user_id))
        assert user is not None
        accounts = store.read_sync(lambda txn: txn.accounts_for_user(user_id))
        limits = CoreLimits()
        registry = build_registry(settings, limits)
        super().__init__(store, user, accounts, limits, registry, [CORE, MAIL, SUBMISSION])
        self.settings = settings
        self.address = f"{name}@{settings.domain}"

    async def mailbox_id(self, role: str) -> str:
        result = await self.ok("Mailbox/get", ids=None)
        return next(str(m["id"]) for m in result["list"] if m["role"] == role)

    async def identity_id(self) -> str:
        result = await self.ok("Identity/get", ids=None)
        return str(result["list"][0]["id"])

    async def draft(self, **fields: Any) -> str:
        """Create a draft in Drafts (from this user to bob unless told); its Email id."""
        drafts = await self.mailbox_id("drafts")
        email = {
            "mailboxIds": {drafts: True},
            "keywords": {"$draft": True, "$seen": True},
            "from": [{"name": "Me", "email": self.address}],
            "to": [{"name": "Bob", "email": f"bob@{self.settings.domain}"}],
            "subject": "Lunch?",
            "messageId": [f"lunch.{len(fields)}@{self.settings.domain}"],
            "textBody": [{"partId": "t", "type": "text/plain"}],
            "bodyValues": {"t": {"value": "Shall we?\n"}},
        }
        email.update(fields)
        result = await self.ok("Email/set", create={"d": email})
        assert result["notCreated"] is None, result["notCreated"]
        return str(result["created"]["d"]["id"])

    async def submit(self, email_id: str, **fields: Any) -> dict[str, Any]:
        """EmailSubmission/set create "s"; the whole response (every method response)."""
        extra = fields.pop("_args", None)
        submission = {"identityId": await self.identity_id(), "emailId": email_id, **fields}
        args: dict[str, Any] = {"accountId": self.account_id, "create": {"s": submission}}
        args.update(extra or {})
        return await self.request([["EmailSubmission/set", args, "c0"]])

    async def not_created(self, email_id: str, **fields: Any) -> dict[str, Any]:
        response = await self.submit(email_id, **fields)
        [[name, result, _]] = response["methodResponses"]
        assert name == "EmailSubmission/set", result
        assert result["created"] is None, result
        return dict(result["notCreated"]["s"])
