"""FUTURERELEASE (RFC 4865) through EmailSubmission: a held submission is pending with its
release time as sendAt, can be canceled until then, and is sent when it falls due."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import msgspec
from submission_client import SubmissionClient

from satchel.mail.submission.envelope import parse_utc
from satchel.smtp.outbound.runner import OutboundRunner


def _held(seconds: int | None = None, until: str | None = None) -> dict[str, object]:
    hold = {"HOLDFOR": str(seconds)} if until is None else {"HOLDUNTIL": until}
    return {
        "mailFrom": {"email": "alice@example.org", "parameters": hold},
        "rcptTo": [{"email": "bob@example.org", "parameters": None}],
    }


async def _bob_has(bob: SubmissionClient) -> int:
    inbox = await bob.mailbox_id("inbox")
    return len((await bob.ok("Email/query", filter={"inMailbox": inbox}))["ids"])


async def test_held_submission_can_be_canceled(
    alice: SubmissionClient, bob: SubmissionClient
) -> None:
    draft = await alice.draft()
    before = time.time()
    response = await alice.submit(draft, envelope=_held(600))
    created = response["methodResponses"][0][1]["created"]["s"]
    assert created["undoStatus"] == "pending"
    send_at = parse_utc(created["sendAt"])
    assert send_at is not None and before + 599 <= send_at <= time.time() + 601
    assert await _bob_has(bob) == 0
    pending = await alice.ok("EmailSubmission/query", filter={"undoStatus": "pending"})
    assert pending["ids"] == [created["id"]]

    result = await alice.ok(
        "EmailSubmission/set", update={created["id"]: {"undoStatus": "canceled"}}
    )
    assert created["id"] in result["updated"]
    [got] = (await alice.ok("EmailSubmission/get", ids=[created["id"]]))["list"]
    assert got["undoStatus"] == "canceled"
    assert got["deliveryStatus"]["bob@example.org"]["delivered"] == "no"
    again = await alice.ok("EmailSubmission/set", update={created["id"]: {"undoStatus": "final"}})
    assert again["notUpdated"][created["id"]]["type"] == "invalidProperties"
    # Nothing left to send, even once the hold is over.
    assert alice.store.read_sync(lambda txn: txn.outbound_due(1e12, 10)) == []
    assert await _bob_has(bob) == 0


async def test_held_submission_is_sent_when_due(
    alice: SubmissionClient, bob: SubmissionClient
) -> None:
    draft = await alice.draft()
    soon = datetime.fromtimestamp(time.time() + 0.3, UTC).isoformat().replace("+00:00", "Z")
    response = await alice.submit(draft, envelope=_held(until=soon))
    submission_id = response["methodResponses"][0][1]["created"]["s"]["id"]
    assert await _bob_has(bob) == 0
    runner = OutboundRunner(alice.store, msgspec.structs.replace(alice.settings))
    while alice.store.read_sync(lambda txn: txn.outbound_due(time.time(), 10)) == []:
        next_due = alice.store.read_sync(lambda txn: txn.outbound_next_due())
        assert next_due is not None
        await asyncio.sleep(max(0.0, next_due - time.time()))
    await runner.run_due()
    await runner.idle()
    assert await _bob_has(bob) == 1
    [got] = (await alice.ok("EmailSubmission/get", ids=[submission_id]))["list"]
    assert got["undoStatus"] == "final"
    update = await alice.ok(
        "EmailSubmission/set", update={submission_id: {"undoStatus": "canceled"}}
    )
    assert update["notUpdated"][submission_id]["type"] == "cannotUnsend"


async def test_cancel_with_on_success_update_and_changes(
    alice: SubmissionClient, bob: SubmissionClient
) -> None:
    draft = await alice.draft()
    drafts, sent = await alice.mailbox_id("drafts"), await alice.mailbox_id("sent")
    to_sent = {f"mailboxIds/{drafts}": None, f"mailboxIds/{sent}": True, "keywords/$draft": None}
    response = await alice.submit(
        draft, envelope=_held(600), _args={"onSuccessUpdateEmail": {"#s": to_sent}}
    )
    created = response["methodResponses"][0][1]
    submission_id = created["created"]["s"]["id"]
    pending = await alice.ok("EmailSubmission/query", filter={"undoStatus": "pending"})
    # Undo send: cancel, and put the Email back into Drafts in the same call.
    back = {f"mailboxIds/{sent}": None, f"mailboxIds/{drafts}": True, "keywords/$draft": True}
    responses = await alice.responses(
        "EmailSubmission/set",
        update={submission_id: {"undoStatus": "canceled"}},
        onSuccessUpdateEmail={submission_id: back},
    )
    [(_, canceled), (name, email_set)] = [(n, r) for n, r, _ in responses]
    assert submission_id in canceled["updated"]
    assert name == "Email/set" and email_set["updated"] == {draft: None}
    [email] = (await alice.ok("Email/get", ids=[draft], properties=["mailboxIds", "keywords"]))[
        "list"
    ]
    assert email["mailboxIds"] == {drafts: True} and email["keywords"]["$draft"] is True

    changes = await alice.ok("EmailSubmission/changes", sinceState=created["newState"])
    assert changes["updated"] == [submission_id] and changes["created"] == []
    query_changes = await alice.ok(
        "EmailSubmission/queryChanges",
        filter={"undoStatus": "pending"},
        sinceQueryState=pending["queryState"],
    )
    assert query_changes["removed"] == [submission_id]
