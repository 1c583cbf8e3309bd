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

    def too_many(count: int) -> None:
        if requested is None and count > limit:
            raise MethodError(
                "requestTooLarge", f"more than {limit} records; ask for ids (maxObjectsInGet)"
            )

    def build(txn: ReadTxn, ids: list[str] | None, asked: list[str] | None) -> list[JsonObject]:
        # Shared (never mutated) data: the objects below copy the top level only, and result
        # references copy what they select.
        records = txn.get_records(account.id, datatype.name, ids, shared=True)
        too_many(len(records))
        hook = datatype.hooks.on_get
        # A hook sees whole objects; otherwise only what is returned is built.
        objects = [full_object(datatype, r, None if hook else asked) for r in records]
        if hook is not None:
            names = None if asked is None else frozenset(asked)
            hook(GetScope(txn, account.id, args.extra, names), objects)
        return objects

    def read(txn: ReadTxn) -> tuple[int, list[JsonObject]]:
        state = txn.type_state(account.id, datatype.name).high
        if datatype.memo_get and not args.extra:
            every = txn.by_state(
                ("get", account.id, datatype.name), state, lambda: _by_id(build(txn, None, None))
            )
            too_many(len(every))
            if requested is None:
                return state, list(every.values())
            return state, [every[i] for i in lookup if i in every]
        ids = None if requested is None else lookup
        return state, build(txn, ids, None if properties is None else wanted)

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


def _by_id(objects: list[JsonObject]) -> dict[str, JsonObject]:
    """Every object by id, in id order (the order /get with `ids: null` answers in)."""
    return {obj["id"]: obj for obj in objects}
