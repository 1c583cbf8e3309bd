"""Email/copy (RFC 8621 section 4.7, RFC 8620 section 5.4): Emails of another account become
Emails here through the ingest path; only mailboxIds, keywords and receivedAt may be set (the
last two default to the original's). With onSuccessDestroyOriginal, an implicit Email/set
destroys the originals that were copied."""

from __future__ import annotations

import asyncio
from typing import Any, Final

from satchel.core.context import RequestContext
from satchel.core.datatype import Invalid, UTCDate
from satchel.core.errors import MethodError, SetError, invalid_arguments, invalid_properties
from satchel.core.registry import MethodResponse
from satchel.core.standard.common import Args, method_account, resolve_id, resolver, supports
from satchel.core.standard.copy import COPY_ARGUMENTS
from satchel.core.standard.set import run_set
from satchel.core.state import check_if_in_state
from satchel.mail.creations import new_mailbox_ids, store_creations
from satchel.mail.email import EMAIL, Keywords
from satchel.mail.email_record import unix_time
from satchel.mail.ingest import Incoming, Prepared, prepare
from satchel.store.base import ReadTxn, Record

JsonObject = dict[str, Any]
_SETTABLE: Final = frozenset({"id", "mailboxIds", "keywords", "receivedAt"})


def _incoming(item: Any, original: Record | None, raw: bytes, resolve: Any) -> Incoming:
    """What to ingest for one copy; SetError when the copy cannot be made."""
    if original is None:
        raise SetError("notFound", "no such Email in the from account")
    bad = sorted(k for k in item if k not in _SETTABLE)
    mailbox_ids = new_mailbox_ids(item, resolve, bad)
    keywords = original.data.get("keywords") or {}
    if "keywords" in item:
        try:
            keywords = Keywords(item["keywords"], resolve)
        except Invalid:
            bad.append("keywords")
    received = unix_time(original.data.get("receivedAt"))
    if item.get("receivedAt") is not None:
        try:
            received = unix_time(UTCDate(item["receivedAt"], resolve))
        except Invalid:
            bad.append("receivedAt")
    if bad:
        raise invalid_properties("only mailboxIds, keywords and receivedAt may be set", *bad)
    return Incoming(raw, list(mailbox_ids), list(keywords), received)


async def email_copy(ctx: RequestContext, raw: JsonObject) -> list[MethodResponse]:
    args = Args(raw, COPY_ARGUMENTS, {})
    from_id = args.raw.get("fromAccountId")
    if not isinstance(from_id, str) or from_id not in ctx.accounts:
        raise MethodError("fromAccountNotFound", "no such account is visible to this user")
    from_account = ctx.accounts[from_id]
    if not supports(ctx, EMAIL, from_account):
        raise MethodError("fromAccountNotSupportedByMethod", "the from account has no mail")
    account = method_account(ctx, EMAIL, args.raw.get("accountId"), write=True)
    if from_account.id == account.id:
        raise invalid_arguments("fromAccountId must differ from accountId")  # RFC 8620 5.4
    if_from_in_state = args.string("ifFromInState")
    if_in_state = args.string("ifInState")
    destroy_if_in_state = args.string("destroyFromIfInState")
    destroy_original = args.boolean("onSuccessDestroyOriginal", False)
    if destroy_original:
        ctx.writable_account(from_account.id)
    create = args.obj("create")
    if create is None:
        raise invalid_arguments("create is required")
    if len(create) > ctx.limits.max_objects_in_set:
        raise MethodError("requestTooLarge", "too many copies (maxObjectsInSet)")
    resolve = resolver(ctx.created_ids)
    sources = {
        cid: resolve_id(item["id"], resolve)
        for cid, item in create.items()
        if isinstance(item, dict) and isinstance(item.get("id"), str)
    }

    def read(txn: ReadTxn) -> dict[str, Record]:
        state = txn.type_state(from_account.id, EMAIL.name).high
        check_if_in_state(if_from_in_state, state, EMAIL.name)
        wanted = sorted({s for s in sources.values() if s is not None})
        return {r.id: r for r in txn.get_records(from_account.id, EMAIL.name, wanted)}

    originals = await ctx.store.read(read)
    not_created: dict[str, JsonObject] = {}
    ready: dict[str, Prepared] = {}
    for cid, item in create.items():
        source = sources.get(cid)
        original = originals.get(source) if source is not None else None
        try:
            if not isinstance(item, dict):
                raise invalid_properties("a copy is an object")
            data = None
            if original is not None:
                data = await asyncio.to_thread(ctx.store.blobs.open, original.data["blobId"])
            incoming = _incoming(item, original if data is not None else None, data or b"", resolve)
        except SetError as err:
            not_created[cid] = err.to_json()
            continue
        [ready[cid]] = await asyncio.to_thread(prepare, ctx.store, [incoming])

    stored = await store_creations(ctx, account.id, if_in_state, ready)
    not_created.update(stored.not_created)
    created = stored.created
    responses: list[MethodResponse] = [
        (
            "Email/copy",
            {
                "fromAccountId": from_account.id,
                "accountId": account.id,
                "oldState": stored.old_state,
                "newState": stored.new_state,
                "created": created or None,
                "notCreated": not_created or None,
            },
        )
    ]
    copied = [sources[cid] for cid in created if sources.get(cid) is not None]
    if destroy_original and copied:
        # RFC 8620 section 5.4: an implicit Foo/set destroys the originals.
        destroyed = await run_set(
            EMAIL,
            ctx,
            from_account,
            if_in_state=destroy_if_in_state,
            destroy=[c for c in copied if c is not None],
        )
        responses.append(("Email/set", destroyed))
    return responses
