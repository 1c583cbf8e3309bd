"""Email/set (RFC 8621 section 4.6): creates are composed into messages and stored through the
ingest path; updates (mailboxIds, keywords) and destroys are the standard /set with Email's
hooks. Creates run first, so an update may name a "#creationId" created in the same call."""

from __future__ import annotations

import asyncio
from typing import Any

from satchel.core.context import RequestContext
from satchel.core.errors import MethodError, SetError
from satchel.core.registry import Handler, MethodResponse
from satchel.core.standard.common import Args, method_account, resolver
from satchel.core.standard.set import run_set, set_
from satchel.mail.compose import Draft, check_create, compose, missing_blobs
from satchel.mail.creations import store_creations
from satchel.mail.email import EMAIL
from satchel.mail.ingest import Incoming, Prepared, prepare
from satchel.mail.part_blobs import read_blob

JsonObject = dict[str, Any]
_KNOWN = ("accountId", "ifInState", "create", "update", "destroy")


def email_set_handler(domain: str) -> Handler:
    async def email_set(ctx: RequestContext, raw: JsonObject) -> list[MethodResponse]:
        if not isinstance(raw, dict) or not raw.get("create"):
            return await set_(EMAIL, ctx, raw)
        return await _set_with_creates(ctx, raw, domain)

    return email_set


async def _compose_one(
    ctx: RequestContext, account_id: str, obj: Any, domain: str
) -> tuple[Draft, bytes]:
    draft = check_create(obj, resolver(ctx.created_ids))
    blobs = {b: await read_blob(ctx.store, account_id, b) for b in draft.blob_ids()}
    missing_blobs(draft, blobs)
    return draft, compose(draft, blobs, domain)


async def _set_with_creates(
    ctx: RequestContext, raw: JsonObject, domain: str
) -> list[MethodResponse]:
    args = Args(raw, _KNOWN, {})
    account = method_account(ctx, EMAIL, args.raw.get("accountId"), write=True)
    if_in_state = args.string("ifInState")
    create = args.obj("create") or {}
    update = args.obj("update")
    destroy = args.str_list("destroy")
    limit = ctx.limits.max_objects_in_set
    if len(create) + len(update or {}) + len(destroy or []) > limit:
        raise MethodError("requestTooLarge", f"at most {limit} objects per /set (maxObjectsInSet)")

    not_created: dict[str, JsonObject] = {}
    ready: dict[str, Prepared] = {}
    for creation_id, obj in create.items():
        try:
            draft, message = await _compose_one(ctx, account.id, obj, domain)
        except SetError as err:
            not_created[creation_id] = err.to_json()
            continue
        incoming = Incoming(message, draft.mailbox_ids, draft.keywords, draft.received_at)
        [ready[creation_id]] = await asyncio.to_thread(prepare, ctx.store, [incoming])

    stored = await store_creations(ctx, account.id, if_in_state, ready)
    not_created.update(stored.not_created)
    response: JsonObject = {
        "accountId": account.id,
        "oldState": stored.old_state,
        "newState": stored.new_state,
        "created": stored.created or None,
        "updated": None,
        "destroyed": None,
        "notCreated": not_created or None,
        "notUpdated": None,
        "notDestroyed": None,
    }
    if update or destroy:
        rest = await run_set(EMAIL, ctx, account, update=update, destroy=destroy)
        for key in ("newState", "updated", "destroyed", "notUpdated", "notDestroyed"):
            response[key] = rest[key]
        if rest["newState"] == rest["oldState"]:
            response["newState"] = stored.new_state
    return [("Email/set", response)]
