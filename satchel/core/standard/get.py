"""Foo/get (RFC 8620 section 5.1)."""

from __future__ import annotations

from typing import Any

from satchel.core.context import RequestContext
from satchel.core.datatype import DataType, GetScope
from satchel.core.errors import MethodError, invalid_arguments
from satchel.core.registry import MethodResponse
from satchel.core.standard.common import Args, full_object, method_account, resolve_id, resolver
from satchel.core.state import encode_state
from satchel.store.base import ReadTxn

JsonObject = dict[str, Any]


async def get(datatype: DataType, ctx: RequestContext, raw: JsonObject) -> list[MethodResponse]:
    args = Args(raw, ("accountId", "ids", "properties"), datatype.get_arguments)
    account = method_account(ctx, datatype, args.raw.get("accountId"))
    limit = ctx.limits.max_objects_in_get

    requested = args.str_list("ids")
    if requested is None and not datatype.get_all:
        raise invalid_arguments(f"{datatype.name}/get needs ids")
    if requested is not None and len(requested) > limit:
        raise MethodError("requestTooLarge", f"at most {limit} ids per /get (maxObjectsInGet)")

    properties = args.str_list("properties")
    if properties is not None:
        dynamic = datatype.dynamic_property
        unknown = [
            p
            for p in properties
            if p != "id" and p not in datatype.properties and not (dynamic and dynamic(p))
        ]
        if unknown:
            raise invalid_arguments(f"unknown properties: {', '.join(unknown)}")
        wanted = ["id", *dict.fromkeys(p for p in properties if p != "id")]
    else:
        wanted = ["id", *datatype.properties]

    # Section 5.1: an id asked for twice is answered once; "#creationId" refers to a record
    # created earlier in this request (section 5.3).
    asked_for: dict[str, str | None] = {}  # each spelling asked for -> the real id
    if requested is not None:
        resolve = resolver(ctx.created_ids)
        asked_for = {asked: resolve_id(asked, resolve) for asked in requested}
    lookup = list(dict.fromkeys(real for real in asked_for.values() if real is not None))

    def read(txn: ReadTxn) -> tuple[int, list[JsonObject]]:
        state = txn.type_state(account.id, datatype.name).high
        # Shared (never mutated) data: the objects below copy the top level only, and result
        # references copy what they select.
        records = txn.get_records(
            account.id, datatype.name, None if requested is None else lookup, shared=True
        )
        if requested is None and len(records) > limit:
            raise MethodError(
                "requestTooLarge", f"more than {limit} records; ask for ids (maxObjectsInGet)"
            )
        # A hook sees whole objects; otherwise only what is returned is built.
        names = None if properties is None or datatype.hooks.on_get is not None else wanted
        objects = [full_object(datatype, record, names) for record in records]
        if datatype.hooks.on_get is not None:
            asked = None if properties is None else frozenset(wanted)
            datatype.hooks.on_get(GetScope(txn, account.id, args.extra, asked), objects)
        return state, objects

    state, objects = ctx.store.read_now(read) if datatype.small else await ctx.store.read(read)
    found = {obj["id"] for obj in objects}
    wanted_keys = frozenset(wanted)
    not_found = [asked for asked, real in asked_for.items() if real is None or real not in found]
    return [
        (
            f"{datatype.name}/get",
            {
                "accountId": account.id,
                "state": encode_state(state, datatype.name),
                "list": [
                    # An object built with exactly the wanted properties goes as built.
                    obj if obj.keys() == wanted_keys else {name: obj.get(name) for name in wanted}
                    for obj in objects
                ],
                "notFound": not_found,
            },
        )
    ]
