"""A tiny JMAP client for the standard-method tests: it sends requests through
`satchel.core.engine.process` exactly as the transports do, with the Note type registered."""

from __future__ import annotations

from typing import Any

from engine_client import EngineClient
from note_type import NOTE, NOTES

from satchel.core.limits import CoreLimits
from satchel.core.registry import Capability, Registry
from satchel.core.standard.register import register_type
from satchel.store.base import Account, Store, User


class Jmap(EngineClient):
    """Alice's view of the API: her account, bob's (shared with her) and a read-only one."""

    def __init__(self, store: Store, user: User, accounts: list[Account], limits: CoreLimits):
        registry = Registry()
        registry.add_capability(Capability(NOTES))
        register_type(registry, NOTE)
        super().__init__(store, user, accounts, limits, registry, [NOTES])

    async def call(self, method: str, **args: Any) -> tuple[str, dict[str, Any]]:
        """One method call in Alice's account (unless accountId is given): its only response."""
        responses = await self.responses(method, **args)
        assert len(responses) == 1, responses
        name, result, _ = responses[0]
        return name, result

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
