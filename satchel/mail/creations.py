"""The write shared by every method that makes Emails from messages (Email/set create,
Email/import, Email/copy): one write transaction that checks ifInState, stores each prepared
message through ingest and reports `created` / `notCreated` per creation id."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from satchel.core.context import RequestContext
from satchel.core.datatype import IdResolver, IdSet, Invalid
from satchel.core.errors import invalid_properties
from satchel.core.state import check_if_in_state, encode_state
from satchel.mail.ingest import IngestError, Prepared, store_email
from satchel.mail.provision import ensure_mail_account
from satchel.store.base import WriteTxn

JsonObject = dict[str, Any]
EMAIL: Final = "Email"


@dataclass(slots=True)
class Stored:
    old_state: str
    new_state: str
    created: dict[str, JsonObject]
    not_created: dict[str, JsonObject]


async def store_creations(
    ctx: RequestContext, account_id: str, if_in_state: str | None, ready: Mapping[str, Prepared]
) -> Stored:
    """Store the prepared messages in one transaction (each succeeding or failing alone); the
    created ids join the request's creation ids. `created` entries have the server-set
    properties id, blobId, threadId and size (RFC 8621 sections 4.6-4.8)."""

    def write(txn: WriteTxn) -> tuple[int, dict[str, JsonObject], dict[str, JsonObject]]:
        old = txn.type_state(account_id, EMAIL).high
        check_if_in_state(if_in_state, old, EMAIL)  # RFC 8620 section 5.3: ifInState
        ensure_mail_account(txn)
        created: dict[str, JsonObject] = {}
        failed: dict[str, JsonObject] = {}
        for creation_id, prepared in ready.items():
            try:
                email_id = store_email(txn, prepared)
            except IngestError as exc:
                failed[creation_id] = invalid_properties(str(exc), "mailboxIds").to_json()
                continue
            data = txn.get_records(account_id, EMAIL, [email_id])[0].data
            created[creation_id] = {
                "id": email_id,
                "blobId": data["blobId"],
                "threadId": data["threadId"],
                "size": data["size"],
            }
        return old, created, failed

    (old, created, failed), commit = await ctx.store.write(account_id, write)
    ctx.record_commit(commit)
    ctx.created_ids.update({cid: obj["id"] for cid, obj in created.items()})
    new = commit.modseq if EMAIL in commit.changed_types else old
    return Stored(encode_state(old, EMAIL), encode_state(new, EMAIL), created, failed)


def new_mailbox_ids(
    item: Mapping[str, Any], resolve: IdResolver, bad: list[str]
) -> dict[str, bool]:
    """The `mailboxIds` of an Email being imported or copied: a valid Id set naming at least one
    Mailbox (RFC 8621 sections 4.7 and 4.8), else "mailboxIds" is added to `bad`."""
    try:
        mailbox_ids: dict[str, bool] = IdSet(item.get("mailboxIds"), resolve)
    except Invalid:
        mailbox_ids = {}
    if not mailbox_ids:
        bad.append("mailboxIds")
    return mailbox_ids
