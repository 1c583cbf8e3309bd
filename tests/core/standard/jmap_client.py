"""A tiny JMAP client for the standard-method tests: it sends requests through
`satchel.core.engine.process` exactly as the transports do, with the Note type registered."""

from __future__ import annotations

from typing import Any

from note_type import NOTE, NOTES

from satchel.core.context import RequestContext
from satchel.core.engine import process
from satchel.core.limits import CoreLimits
from satchel.core.registry import Capability, Registry
from satchel.core.request import request_from_object
from satchel.core.standard.register import register_type
from satchel.store.base import Account, Store, User


class Jmap:
    """Alice's view of the API: her account, bob's (shared with her) and a read-only one."""

    def __init__(self, store: Store, user: User, accounts: list[Account], limits: CoreLimits):
        self.store = store
        self.user = user
        self.accounts = accounts
        self.account_id = accounts[0].id
        self.limits = limits
        self.registry = Registry()
        self.registry.add_capability(Capability(NOTES))
        register_type(self.registry, NOTE)

    async def request(
        self, calls: list[list[Any]], created_ids: dict[str, str] | None = None
    ) -> dict[str, Any]:
        ctx = RequestContext(
            user=self.user,
            accounts={a.id: a for a in self.accounts},
            store=self.store,
            registry=self.registry,
            limits=self.limits,
        )
        body: dict[str, Any] = {"using": [NOTES], "methodCalls": calls}
        if created_ids is not None:
            body["createdIds"] = created_ids
        return await process(ctx, request_from_object(body, self.limits))

    async def call(self, method: str, **args: Any) -> tuple[str, dict[str, Any]]:
        """One method call in Alice's account (unless accountId is given): its only response."""
        args.setdefault("accountId", self.account_id)
        responses = (await self.request([[method, args, "c0"]]))["methodResponses"]
        assert len(responses) == 1, responses
        name, result, call_id = responses[0]
        assert call_id == "c0"
        return name, result

    async def ok(self, method: str, **args: Any) -> dict[str, Any]:
        name, result = await self.call(method, **args)
        assert name == method, result
        return result

    async def error(self, method: str, **args: Any) -> dict[str, Any]:
        name, result = await self.call(method, **args)
        assert name == "error", result
        return result

    async def create(self, account_id: str | None = None, **note: Any) -> str:
        """Create one Note and return its id."""
        note.setdefault("title", "untitled")
        result = await self.ok(
            "Note/set", accountId=account_id or self.account_id, create={"new": note}
        )
        assert result["notCreated"] is None, result["notCreated"]
        return str(result["created"]["new"]["id"])

    async def state(self, account_id: str | None = None) -> str:
        result = await self.ok("Note/get", accountId=account_id or self.account_id, ids=[])
        return str(result["state"])
