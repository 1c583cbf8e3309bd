"""Email/parse (RFC 8621 section 4.9): Email objects of message blobs that are not Emails in the
account (an attached message/rfc822, an upload), parsed on demand and never stored."""

from __future__ import annotations

from typing import Any

from satchel.core.context import RequestContext
from satchel.core.errors import MethodError, invalid_arguments
from satchel.core.registry import MethodResponse
from satchel.core.standard.common import Args, method_account
from satchel.mail import mime
from satchel.mail.email import EMAIL
from satchel.mail.email_get import (
    MESSAGE_DEFAULT_PROPERTIES,
    body_options,
    check_body_properties,
    complete,
)
from satchel.mail.email_record import SUMMARY_PROPERTIES
from satchel.mail.header_forms import is_header_property
from satchel.mail.part_blobs import read_blob

JsonObject = dict[str, Any]


async def email_parse(ctx: RequestContext, raw: JsonObject) -> list[MethodResponse]:
    args = Args(raw, ("accountId", "blobIds", "properties"), EMAIL.get_arguments)
    account = method_account(ctx, EMAIL, args.raw.get("accountId"))
    blob_ids = args.str_list("blobIds")
    if blob_ids is None:
        raise invalid_arguments("blobIds is required")
    limit = ctx.limits.max_objects_in_get
    if len(blob_ids) > limit:
        raise MethodError("requestTooLarge", f"at most {limit} blobIds (maxObjectsInGet)")
    properties = args.str_list("properties")
    wanted = list(MESSAGE_DEFAULT_PROPERTIES if properties is None else dict.fromkeys(properties))
    unknown = [
        p for p in wanted if p != "id" and p not in EMAIL.properties and not is_header_property(p)
    ]
    if unknown:
        raise invalid_arguments(f"unknown properties: {', '.join(unknown)}")
    options = body_options(args.raw, wanted, check_body_properties(args.raw.get("bodyProperties")))

    parsed: JsonObject = {}
    not_parsable: list[str] = []
    not_found: list[str] = []
    for blob_id in dict.fromkeys(blob_ids):
        data = await read_blob(ctx.store, account.id, blob_id)
        if data is None:
            not_found.append(blob_id)
            continue
        message = mime.parse_message(data)
        if not data.strip() or not message.root.headers:
            not_parsable.append(blob_id)
            continue
        summary = mime.summarize(data, message, blob_id)
        obj: JsonObject = {name: summary.get(name) for name in SUMMARY_PROPERTIES}
        # Section 4.9: metadata of an Email not in the account is null.
        obj.update(
            id=None,
            blobId=blob_id,
            threadId=None,
            mailboxIds=None,
            keywords=None,
            receivedAt=None,
            size=len(data),
            bodyValues={},
        )
        await complete(ctx, obj, options, (data, message))
        parsed[blob_id] = {p: obj.get(p) for p in wanted}
    return [
        (
            "Email/parse",
            {
                "accountId": account.id,
                "parsed": parsed or None,
                "notParsable": not_parsable or None,
                "notFound": not_found or None,
            },
        )
    ]
