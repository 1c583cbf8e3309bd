"""Sending between two users of one server as a client does it: a draft in Drafts, an
EmailSubmission with onSuccessUpdateEmail moving it to Sent, the copy in bob's Inbox, and the
submission's status afterwards."""

from __future__ import annotations

from submission_client import SubmissionClient

from satchel.mail.vacation_delivery import auto_replies_settled
from satchel.store.base import ReadTxn


async def _inbox(client: SubmissionClient) -> list[dict[str, object]]:
    inbox = await client.mailbox_id("inbox")
    query = await client.ok("Email/query", filter={"inMailbox": inbox})
    got = await client.ok(
        "Email/get", ids=query["ids"], properties=["subject", "from", "bcc", "blobId", "keywords"]
    )
    return list(got["list"])


async def test_send_to_a_local_user_moves_the_draft_to_sent(
    alice: SubmissionClient, bob: SubmissionClient
) -> None:
    draft = await alice.draft(bcc=[{"name": None, "email": "alice@example.org"}])
    drafts, sent = await alice.mailbox_id("drafts"), await alice.mailbox_id("sent")
    response = await alice.submit(
        draft,
        _args={
            "onSuccessUpdateEmail": {
                "#s": {
                    f"mailboxIds/{drafts}": None,
                    f"mailboxIds/{sent}": True,
                    "keywords/$draft": None,
                }
            }
        },
    )
    [(name1, result, id1), (name2, email_set, id2)] = response["methodResponses"]
    assert (name1, name2, id1, id2) == ("EmailSubmission/set", "Email/set", "c0", "c0")
    created = result["created"]["s"]
    assert created["undoStatus"] == "pending"
    assert created["envelope"] == {
        "mailFrom": {"email": "alice@example.org", "parameters": None},
        "rcptTo": [
            {"email": "bob@example.org", "parameters": None},
            {"email": "alice@example.org", "parameters": None},
        ],
    }
    assert email_set["updated"] == {draft: None}
    moved = (await alice.ok("Email/get", ids=[draft], properties=["mailboxIds", "keywords"]))[
        "list"
    ][0]
    assert moved["mailboxIds"] == {sent: True}
    assert "$draft" not in moved["keywords"]

    [copy] = await _inbox(bob)
    assert copy["subject"] == "Lunch?"
    assert copy["bcc"] is None  # the Bcc field is removed from what is sent
    raw = bob.store.blobs.open(str(copy["blobId"]))
    assert raw is not None and b"\nBcc:" not in raw and raw.startswith(b"Return-Path: <alice@")
    [own] = await _inbox(alice)  # the Bcc recipient got it too
    assert own["subject"] == "Lunch?"

    [submission] = (await alice.ok("EmailSubmission/get", ids=[created["id"]]))["list"]
    assert set(submission) == {
        "id",
        "identityId",
        "emailId",
        "threadId",
        "envelope",
        "sendAt",
        "undoStatus",
        "deliveryStatus",
        "dsnBlobIds",
        "mdnBlobIds",
    }
    assert submission["undoStatus"] == "final"
    assert submission["emailId"] == draft
    assert submission["deliveryStatus"]["bob@example.org"]["delivered"] == "yes"
    assert submission["deliveryStatus"]["bob@example.org"]["displayed"] == "unknown"
    assert submission["deliveryStatus"]["bob@example.org"]["smtpReply"].startswith("250 2.1.5")
    assert submission["dsnBlobIds"] == [] and submission["mdnBlobIds"] == []

    # Too late to cancel now.
    update = await alice.ok(
        "EmailSubmission/set", update={created["id"]: {"undoStatus": "canceled"}}
    )
    assert update["notUpdated"][created["id"]]["type"] == "cannotUnsend"


async def test_on_success_destroy_email_and_query(
    alice: SubmissionClient, bob: SubmissionClient
) -> None:
    draft = await alice.draft()
    response = await alice.submit(draft, _args={"onSuccessDestroyEmail": ["#s"]})
    [(_, result, _), (name, email_set, _)] = response["methodResponses"]
    assert name == "Email/set" and email_set["destroyed"] == [draft]
    submission_id = result["created"]["s"]["id"]
    # The Email is gone; the submission still names it (RFC 8621 section 7).
    got = await alice.ok("EmailSubmission/get", ids=[submission_id], properties=["emailId"])
    assert got["list"] == [{"id": submission_id, "emailId": draft}]
    assert len(await _inbox(bob)) == 1
    query = await alice.ok(
        "EmailSubmission/query",
        filter={"undoStatus": "final", "emailIds": [draft]},
        sort=[{"property": "sentAt", "isAscending": False}],
    )
    assert query["ids"] == [submission_id]
    none = await alice.ok("EmailSubmission/query", filter={"before": "2000-01-01T00:00:00Z"})
    assert none["ids"] == []


async def test_failed_create_runs_no_implicit_email_set(
    alice: SubmissionClient, bob: SubmissionClient
) -> None:
    draft = await alice.draft(to=[])
    response = await alice.submit(draft, _args={"onSuccessDestroyEmail": ["#s"]})
    [(name, result, _)] = response["methodResponses"]
    assert name == "EmailSubmission/set"
    assert result["notCreated"]["s"]["type"] == "noRecipients"
    assert (await alice.ok("Email/get", ids=[draft], properties=["id"]))["list"]


async def test_capability_is_advertised_truthfully(alice: SubmissionClient) -> None:
    capability = alice.registry.capabilities["urn:ietf:params:jmap:submission"]
    value = capability.account_value(alice.accounts[0])
    assert value is not None and capability.account_value_now is not None
    value = capability.account_value_now(value)
    assert value["maxDelayedSend"] == alice.settings.max_delayed_send_seconds
    extensions = value["submissionExtensions"]
    assert extensions["FUTURERELEASE"][0] == str(alice.settings.max_delayed_send_seconds)
    assert extensions["FUTURERELEASE"][1].endswith("Z")
    assert "SIZE" in extensions


async def test_destroying_a_submission_forgets_only_the_record(
    alice: SubmissionClient, bob: SubmissionClient
) -> None:
    response = await alice.submit(await alice.draft())
    submission_id = response["methodResponses"][0][1]["created"]["s"]["id"]
    result = await alice.ok("EmailSubmission/set", destroy=[submission_id])
    assert result["destroyed"] == [submission_id]
    got = await alice.ok("EmailSubmission/get", ids=[submission_id])
    assert got["notFound"] == [submission_id]
    assert len(await _inbox(bob)) == 1


async def test_a_local_recipient_on_vacation_answers_once(
    alice: SubmissionClient, bob: SubmissionClient
) -> None:
    """Mail sent through EmailSubmission gets the recipient's vacation reply, as LMTP mail
    does, and only once per sender (RFC 3834)."""
    bob.using = [*bob.using, "urn:ietf:params:jmap:vacationresponse"]
    await bob.ok(
        "VacationResponse/set",
        update={"singleton": {"isEnabled": True, "subject": "Away", "textBody": "Back Monday."}},
    )
    for _ in range(2):
        await alice.submit(await alice.draft())
        await auto_replies_settled()
    replies = [e for e in await _inbox(alice) if e["subject"] == "Away"]
    assert len(replies) == 1
    assert [a["email"] for a in replies[0]["from"]] == ["bob@example.org"]


async def test_local_delivery_advances_email_delivery(
    alice: SubmissionClient, bob: SubmissionClient
) -> None:
    """RFC 8621 section 1.5: new mail for bob moves his EmailDelivery push state."""

    def delivery_state(txn: ReadTxn) -> int:
        return txn.type_state(bob.account_id, "EmailDelivery").high

    before = bob.store.read_sync(delivery_state)
    await alice.submit(await alice.draft())
    assert bob.store.read_sync(delivery_state) > before
