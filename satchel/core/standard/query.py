"""Foo/query (RFC 8620 section 5.5): filter, sort and window a type's ids."""

from __future__ import annotations

from typing import Any

from satchel.core.context import RequestContext
from satchel.core.datatype import DataType, QueryPage, QueryScope, QueryWindow
from satchel.core.errors import MethodError
from satchel.core.registry import MethodResponse
from satchel.core.standard.common import Args, method_account, resolve_id, resolver
from satchel.core.standard.querying import parse_filter, parse_sort, run_query_window
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

    window = QueryWindow(position, effective, anchor, anchor_offset, calculate_total)

    def read(txn: ReadTxn) -> tuple[int, QueryPage]:
        state = txn.type_state(account.id, datatype.name).high
        scope = QueryScope(txn, account.id, args.extra)
        return state, run_query_window(datatype, scope, node, sort, window)

    state, page = await ctx.store.read(read)
    if not page.anchor_found:
        raise MethodError("anchorNotFound", "the anchor is not in the results")
    response: JsonObject = {
        "accountId": account.id,
        "queryState": encode_state(state, datatype.name),
        "canCalculateChanges": "queryChanges" in datatype.methods,
        "position": page.position,
        "ids": page.ids[:effective],
    }
    if calculate_total:
        if page.total is None:
            raise RuntimeError(f"{datatype.name} query_window gave no total")  # -> serverFail
        response["total"] = page.total
    if capped:
        response["limit"] = effective
    return [(f"{datatype.name}/query", response)]
