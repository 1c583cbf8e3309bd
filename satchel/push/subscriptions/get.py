"""PushSubscription/get (RFC 8620 section 7.2.1): the standard /get without accountId or state.
Only the subscriptions the calling user created with the same credentials exist for it; `url`
and `keys` are never returned, and asking for them is `forbidden`. Expired subscriptions are
gone (the dispatcher purges them)."""

from __future__ import annotations

import time

from satchel.core.context import RequestContext
from satchel.core.errors import MethodError, invalid_arguments
from satchel.core.registry import JsonObject, MethodResponse
from satchel.core.standard.common import Args, resolve_id, resolver
from satchel.push.subscriptions.properties import GET_DEFAULT, PROPERTIES, WRITE_ONLY, as_shown
from satchel.store.base import ReadTxn
from satchel.store.push_base import PushSubscriptionRow


def credential_of(ctx: RequestContext) -> str:
    """Section 7.2: a subscription is tied to the credentials of the request that created it."""
    return ctx.credential or "password"


def check_no_account(args: Args) -> None:
    """Section 7.2.1/7.2.2: no accountId (a typed client sending it as null is let through)."""
    if args.raw.get("accountId") is not None:
        raise invalid_arguments("PushSubscription methods take no accountId")


async def push_subscription_get(ctx: RequestContext, raw: JsonObject) -> list[MethodResponse]:
    args = Args(raw, ("accountId", "ids", "properties"), {})
    check_no_account(args)
    requested = args.str_list("ids")
    limit = ctx.limits.max_objects_in_get
    if requested is not None and len(requested) > limit:
        raise MethodError("requestTooLarge", f"at most {limit} ids per /get (maxObjectsInGet)")
    asked = args.str_list("properties")
    if asked is None:
        properties = GET_DEFAULT
    else:
        unknown = sorted(p for p in asked if p not in PROPERTIES)
        if unknown:
            raise invalid_arguments(f"unknown properties: {', '.join(unknown)}")
        if WRITE_ONLY & set(asked):
            raise MethodError("forbidden", "url and keys of a PushSubscription are never returned")
        properties = ("id", *dict.fromkeys(p for p in asked if p != "id"))

    user_id, credential = ctx.user.id, credential_of(ctx)

    def read(txn: ReadTxn) -> list[PushSubscriptionRow]:
        return txn.push_subscriptions_of_user(user_id)

    # Section 7.2: "Only subscriptions created by these credentials are returned."
    now = time.time()
    mine = {
        row.id: row
        for row in await ctx.store.read(read)
        if row.expires > now and row.credential == credential
    }
    if requested is None:
        rows = list(mine.values())
        not_found: list[str] = []
    else:
        resolve = resolver(ctx.created_ids)
        rows, not_found, seen = [], [], set()
        for asked_id in requested:
            real = resolve_id(asked_id, resolve)
            if real is None or real not in mine:
                if asked_id not in not_found:
                    not_found.append(asked_id)
            elif real not in seen:
                seen.add(real)
                rows.append(mine[real])
    return [
        (
            "PushSubscription/get",
            {"list": [as_shown(row, properties) for row in rows], "notFound": not_found},
        )
    ]
