"""Foo/changes (RFC 8620 section 5.2): the ids created, updated and destroyed since a state.

The classification (created-and-destroyed hidden, cuts at modseq boundaries with an intermediate
state) is the store's; this method checks the arguments and the state's range."""

from __future__ import annotations

from typing import Any

from satchel.core.context import RequestContext
from satchel.core.datatype import DataType
from satchel.core.errors import MethodError, invalid_arguments
from satchel.core.registry import MethodResponse
from satchel.core.standard.common import Args, method_account
from satchel.core.state import encode_state, since_modseq
from satchel.store.base import CannotCalculateChanges, Changes, ReadTxn

JsonObject = dict[str, Any]


async def changes(datatype: DataType, ctx: RequestContext, raw: JsonObject) -> list[MethodResponse]:
    args = Args(raw, ("accountId", "sinceState", "maxChanges"), {})
    account = method_account(ctx, datatype, args.raw.get("accountId"))
    since_state = args.required_string("sinceState")
    # Section 5.2: maxChanges, if given, MUST be a positive integer.
    max_changes = args.integer("maxChanges", None, minimum=0)
    if max_changes == 0:
        raise invalid_arguments("maxChanges must be greater than 0")

    def read(txn: ReadTxn) -> tuple[Changes, JsonObject]:
        state = txn.type_state(account.id, datatype.name)
        since = since_modseq(since_state, state.low, state.high, datatype.name)
        if since == state.high:
            found = Changes([], [], [], since, False)
        else:
            try:
                found = txn.changes_since(account.id, datatype.name, since, max_changes)
            except CannotCalculateChanges as exc:  # e.g. one modseq alone exceeds maxChanges
                raise MethodError("cannotCalculateChanges", str(exc) or None) from None
        hook = datatype.hooks.on_changes
        return found, (hook(txn, account.id, since, found) if hook is not None else {})

    result, extra = await ctx.store.read(read)
    return [
        (
            f"{datatype.name}/changes",
            {
                "accountId": account.id,
                "oldState": since_state,
                "newState": encode_state(result.new_modseq, datatype.name),
                "hasMoreChanges": result.has_more,
                "created": result.created,
                "updated": result.updated,
                "destroyed": result.destroyed,
                **extra,
            },
        )
    ]
