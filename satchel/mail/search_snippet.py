"""SearchSnippet/get (RFC 8621 section 5): for Emails found by a search, the subject and a
preview with the matching words marked, computed by the store's full-text index."""

from __future__ import annotations

from typing import Any, cast

from satchel.core.context import RequestContext
from satchel.core.errors import MethodError, invalid_arguments
from satchel.core.registry import MethodResponse
from satchel.core.standard.common import Args, method_account
from satchel.core.standard.querying import parse_filter
from satchel.mail.email import EMAIL, plain_filter
from satchel.store.base import ReadTxn
from satchel.store.mail_base import MailReadTxn, Snippet

JsonObject = dict[str, Any]


async def search_snippet_get(ctx: RequestContext, raw: JsonObject) -> list[MethodResponse]:
    args = Args(raw, ("accountId", "filter", "emailIds"), {})
    account = method_account(ctx, EMAIL, args.raw.get("accountId"))
    node = parse_filter(EMAIL, args.raw.get("filter"))
    email_ids = args.str_list("emailIds")
    if email_ids is None:
        raise invalid_arguments("emailIds is required")
    limit = ctx.limits.max_objects_in_get
    if len(email_ids) > limit:
        raise MethodError("requestTooLarge", f"at most {limit} emailIds (maxObjectsInGet)")
    wanted = list(dict.fromkeys(email_ids))
    filter_value = None if node is None else plain_filter(node)

    def read(txn: ReadTxn) -> tuple[list[str], dict[str, Snippet]]:
        found = [r.id for r in txn.get_records(account.id, EMAIL.name, wanted)]
        snippets = cast(MailReadTxn, txn).search_snippets(account.id, found, filter_value)
        return found, snippets

    found, snippets = await ctx.store.read(read)
    present = set(found)
    results = []
    for email_id in wanted:
        if email_id not in present:
            continue
        snippet = snippets.get(email_id)
        results.append(
            {
                "emailId": email_id,
                "subject": snippet.subject if snippet else None,
                "preview": snippet.preview if snippet else None,
            }
        )
    return [
        (
            "SearchSnippet/get",
            {
                "accountId": account.id,
                "list": results,
                "notFound": [i for i in wanted if i not in present] or None,
            },
        )
    ]
