"""Email/import (RFC 8621 section 4.8): uploaded messages become Emails through the same ingest
path as delivery. Each import succeeds or fails on its own (SetError), all in one write
transaction so the Email state moves once."""

from __future__ import annotations

import asyncio
from typing import Any

from satchel.core.context import RequestContext
from satchel.core.datatype import Invalid, UTCDate, is_id
from satchel.core.errors import MethodError, SetError, invalid_arguments, invalid_properties
from satchel.core.registry import MethodResponse
from satchel.core.standard.common import Args, method_account, resolver
from satchel.mail.creations import new_mailbox_ids, store_creations
from satchel.mail.email import EMAIL, Keywords
from satchel.mail.email_record import unix_time
from satchel.mail.ingest import Incoming, Prepared, prepare
from satchel.mail.part_blobs import read_blob

JsonObject = dict[str, Any]
_FIELDS = frozenset({"blobId", "mailboxIds", "keywords", "receivedAt"})


def _check(item: Any, resolve: Any) -> tuple[str, Incoming]:
    """An EmailImport's blob id and what to ingest; SetError invalidProperties when bad."""
    if not isinstance(item, dict):
        raise invalid_properties("an EmailImport is an object")
    bad = sorted(set(item) - _FIELDS)
    blob_id = item.get("blobId")
    if not is_id(blob_id):
        bad.append("blobId")
    mailbox_ids = new_mailbox_ids(item, resolve, bad)
    keywords: dict[str, bool] = {}
    try:
        keywords = Keywords(item.get("keywords") or {}, resolve)
    except Invalid:
        bad.append("keywords")
    received = None
    if item.get("receivedAt") is not None:
        try:
            received = unix_time(UTCDate(item["receivedAt"], resolve))
        except Invalid:
            received = None
        if received is None:
            bad.append("receivedAt")
    if bad:
        raise invalid_properties("invalid EmailImport properties", *bad)
    return str(blob_id), Incoming(
        b"", mailbox_ids=list(mailbox_ids), keywords=list(keywords), received_at=received
    )


async def email_import(ctx: RequestContext, raw: JsonObject) -> list[MethodResponse]:
    args = Args(raw, ("accountId", "ifInState", "emails"), {})
    account = method_account(ctx, EMAIL, args.raw.get("accountId"), write=True)
    if_in_state = args.string("ifInState")
    emails = args.obj("emails")
    if emails is None:
        raise invalid_arguments("emails is required")
    limit = ctx.limits.max_objects_in_set
    if len(emails) > limit:
        raise MethodError("requestTooLarge", f"at most {limit} imports (maxObjectsInSet)")

    not_created: dict[str, JsonObject] = {}
    wanted: dict[str, tuple[str, Incoming]] = {}
    resolve = resolver(ctx.created_ids)
    for creation_id, item in emails.items():
        try:
            wanted[creation_id] = _check(item, resolve)
        except SetError as err:
            not_created[creation_id] = err.to_json()

    ready: dict[str, Prepared] = {}
    for creation_id, (blob_id, incoming) in wanted.items():
        # The account's blob, or a part of one of its messages (an attached message/rfc822).
        data = await read_blob(ctx.store, account.id, blob_id)
        if data is None:
            not_created[creation_id] = invalid_properties("no such blob", "blobId").to_json()
            continue
        with_bytes = Incoming(data, incoming.mailbox_ids, incoming.keywords, incoming.received_at)
        [ready[creation_id]] = await asyncio.to_thread(prepare, ctx.store, [with_bytes])

    stored = await store_creations(ctx, account.id, if_in_state, ready)
    not_created.update(stored.not_created)
    return [
        (
            "Email/import",
            {
                "accountId": account.id,
                "oldState": stored.old_state,
                "newState": stored.new_state,
                "created": stored.created or None,
                "notCreated": not_created or None,
            },
        )
    ]
