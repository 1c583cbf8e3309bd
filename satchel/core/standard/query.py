"""Foo/query (RFC 8620 section 5.5): filter, sort and window a type's ids."""

from __future__ import annotations

from typing import Any

from satchel.core.context import RequestContext
from satchel.core.datatype import DataType, QueryScope
from satchel.core.errors import MethodError
from satchel.core.registry import MethodResponse
from satchel.core.standard.common import Args, method_account, resolve_id, resolver
from satchel.core.standard.querying import parse_filter, parse_sort, run_query
from satchel.core.state import encode_state
from satchel.store.base import ReadTxn

JsonObject = dict[str, Any]

_KNOWN = (
    "accountId",
    "filter",
    "sort",
    "position",
    "anchor",
    "anchorOffset",
    "limit",
    "calculateTotal",
)


def window_start(ids: list[str], position: int, anchor: str | None, anchor_offset: int) -> int:
    """The index of the first id to return (section 5.5: position, or anchor + anchorOffset)."""
    if anchor is not None:
        try:
            index = ids.index(anchor)
        except ValueError:
            raise MethodError("anchorNotFound", "the anchor is not in the results") from None
        return max(index + anchor_offset, 0)
    if position < 0:
        return max(len(ids) + position, 0)
    return position


async def query(datatype: DataType, ctx: RequestContext, raw: JsonObject) -> list[MethodResponse]:
    args = Args(raw, _KNOWN, datatype.query_arguments)
    account = method_account(ctx, datatype, args.raw.get("accountId"))
    node = parse_filter(datatype, args.raw.get("filter"))
    sort = parse_sort(datatype, args.raw.get("sort"), ctx.limits.collation_algorithms)
    position = args.integer("position", 0)
    anchor_offset = args.integer("anchorOffset", 0)
    assert position is not None and anchor_offset is not None
    anchor_arg = args.string("anchor")
    anchor = None
    if anchor_arg is not None:
        anchor = resolve_id(anchor_arg, resolver(ctx.created_ids))
        if anchor is None:
            raise MethodError("anchorNotFound", "the anchor is not in the results")
    limit = args.integer("limit", None, minimum=0)  # section 5.5: negative -> invalidArguments
    calculate_total = args.boolean("calculateTotal", False)

    # Section 5.5: the server may cap the limit, and then says so in the response.
    capped = limit is None or limit > datatype.max_query_limit
    effective = datatype.max_query_limit if capped else limit
    assert effective is not None

    def read(txn: ReadTxn) -> tuple[int, list[str]]:
        state = txn.type_state(account.id, datatype.name).high
        return state, run_query(datatype, QueryScope(txn, account.id, args.extra), node, sort)

    state, ids = await ctx.store.read(read)
    start = window_start(ids, position, anchor, anchor_offset)
    response: JsonObject = {
        "accountId": account.id,
        "queryState": encode_state(state, datatype.name),
        "canCalculateChanges": "queryChanges" in datatype.methods,
        "position": start,
        "ids": ids[start : start + effective],
    }
    if calculate_total:
        response["total"] = len(ids)
    if capped:
        response["limit"] = effective
    return [(f"{datatype.name}/query", response)]
