"""The test clients' shared core: one user's view of the API, requests sent through
`satchel.core.engine.process` exactly as the transports send them, on the suite's real store."""

from __future__ import annotations

from typing import Any

from satchel.core.context import RequestContext
from satchel.core.engine import process
from satchel.core.limits import CoreLimits
from satchel.core.registry import Registry
from satchel.core.request import request_from_object
from satchel.store.base import Account, Store, User


class EngineClient:
    """Calls default to the first account; `using` is what every request declares."""

    def __init__(
        self,
        store: Store,
        user: User,
        accounts: list[Account],
        limits: CoreLimits,
        registry: Registry,
        using: list[str],
    ) -> None:
        self.store = store
        self.user = user
        self.accounts = accounts
        self.account_id = accounts[0].id
        self.limits = limits
        self.registry = registry
        self.using = using

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
        body: dict[str, Any] = {"using": self.using, "methodCalls": calls}
        if created_ids is not None:
            body["createdIds"] = created_ids
        return await process(ctx, request_from_object(body, self.limits))

    async def responses(self, method: str, **args: Any) -> list[list[Any]]:
        """Every response to one call (more than one for /copy's implicit /set)."""
        args.setdefault("accountId", self.account_id)
        responses: list[list[Any]] = (await self.request([[method, args, "c0"]]))["methodResponses"]
        assert all(call_id == "c0" for _, _, call_id in responses), responses
        return responses

    async def call(self, method: str, **args: Any) -> tuple[str, dict[str, Any]]:
        """The last response to one call: the method's own, after any implicit ones."""
        name, result, _ = (await self.responses(method, **args))[-1]
        return name, result

    async def ok(self, method: str, **args: Any) -> dict[str, Any]:
        name, result = await self.call(method, **args)
        assert name == method, result
        return result

    async def error(self, method: str, **args: Any) -> dict[str, Any]:
        name, result = await self.call(method, **args)
        assert name == "error", result
        return result
