"""Foo/queryChanges (RFC 8620 section 5.6): how a query's results changed since a queryState.

Computed from the type's changes since that state plus re-running the query now: with a filter or
sort on mutable data every changed record is removed and, if still in the results, re-added at its
new index; with only immutable data, updated records cannot have moved, and `upToId` trims the
additions the client does not cache."""

from __future__ import annotations

from typing import Any

from satchel.core.context import RequestContext
from satchel.core.datatype import DataType, QueryScope
from satchel.core.errors import MethodError
from satchel.core.registry import MethodResponse
from satchel.core.standard.common import Args, method_account, resolve_id, resolver
from satchel.core.standard.querying import is_immutable, parse_filter, parse_sort, run_query
from satchel.core.state import encode_state, since_modseq
from satchel.store.base import Changes, ReadTxn

JsonObject = dict[str, Any]

_KNOWN = (
    "accountId",
    "filter",
    "sort",
    "sinceQueryState",
    "maxChanges",
    "upToId",
    "calculateTotal",
)


async def query_changes(
    datatype: DataType, ctx: RequestContext, raw: JsonObject
) -> list[MethodResponse]:
    args = Args(raw, _KNOWN, datatype.query_arguments)
    account = method_account(ctx, datatype, args.raw.get("accountId"))
    node = parse_filter(datatype, args.raw.get("filter"))
    sort = parse_sort(datatype, args.raw.get("sort"), ctx.limits.collation_algorithms)
    since_state = args.required_string("sinceQueryState")
    max_changes = args.integer("maxChanges", None, minimum=0)
    up_to_arg = args.string("upToId")
    up_to = None if up_to_arg is None else resolve_id(up_to_arg, resolver(ctx.created_ids))
    calculate_total = args.boolean("calculateTotal", False)

    def read(txn: ReadTxn) -> tuple[int, Changes, list[str]]:
        state = txn.type_state(account.id, datatype.name)
        since = since_modseq(since_state, state.low, state.high, datatype.name)
        if since == state.high:
            found = Changes([], [], [], since, False)
        else:
            found = txn.changes_since(account.id, datatype.name, since, None)
        ids = run_query(datatype, QueryScope(txn, account.id, args.extra), node, sort)
        return state.high, found, ids

    high, found, ids = await ctx.store.read(read)
    index = {record_id: i for i, record_id in enumerate(ids)}
    if is_immutable(datatype, node, sort):
        removed = list(found.destroyed)
        candidates = set(found.created)
        cut = index.get(up_to) if up_to is not None else None
    else:
        removed = list(dict.fromkeys([*found.updated, *found.destroyed]))
        candidates = set(found.created) | set(found.updated)
        cut = None
    added = sorted(
        (index[i], i) for i in candidates if i in index and (cut is None or index[i] <= cut)
    )
    if max_changes is not None and len(removed) + len(added) > max_changes:
        raise MethodError("tooManyChanges", f"more than {max_changes} changes")
    response: JsonObject = {
        "accountId": account.id,
        "oldQueryState": since_state,
        "newQueryState": encode_state(high, datatype.name),
        "removed": removed,
        "added": [{"id": i, "index": n} for n, i in added],
    }
    if calculate_total:
        response["total"] = len(ids)
    return [(f"{datatype.name}/queryChanges", response)]
