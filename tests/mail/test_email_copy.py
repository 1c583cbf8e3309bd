"""Email/copy (RFC 8621 section 4.7): Emails of another account copied in through ingest."""

from __future__ import annotations

import dataclasses

from mail_client import MailClient, message

from satchel.mail.ingest import Incoming, ingest


async def _bob_email(mail: MailClient, **kwargs: object) -> str:
    bob = mail.accounts[1].id
    email_id, _ = await ingest(
        mail.store, bob, Incoming(message("From Bob's box", message_id="<bob@x>"), **kwargs)
    )
    return email_id


async def test_copy_keeps_keywords_and_date_and_sets_mailboxes(mail: MailClient) -> None:
    original = await _bob_email(mail, keywords=["$seen"], received_at=1_000_000)
    archive = await mail.mailbox_id("archive")
    result = await mail.ok(
        "Email/copy",
        fromAccountId=mail.accounts[1].id,
        create={"c": {"id": original, "mailboxIds": {archive: True}}},
    )
    created = result["created"]["c"]
    assert set(created) == {"id", "blobId", "threadId", "size"}
    got = await mail.ok(
        "Email/get",
        ids=[created["id"]],
        properties=["mailboxIds", "keywords", "receivedAt", "subject"],
    )
    assert got["list"][0] == {
        "id": created["id"],
        "mailboxIds": {archive: True},
        "keywords": {"$seen": True},
        "receivedAt": "1970-01-12T13:46:40Z",
        "subject": "From Bob's box",
    }


async def test_copy_errors_one_by_one(mail: MailClient) -> None:
    original = await _bob_email(mail)
    inbox = await mail.mailbox_id("inbox")
    result = await mail.ok(
        "Email/copy",
        fromAccountId=mail.accounts[1].id,
        create={
            "missing": {"id": "nope", "mailboxIds": {inbox: True}},
            "no-box": {"id": original},
            "subject": {"id": original, "mailboxIds": {inbox: True}, "subject": "x"},
        },
    )
    failed = result["notCreated"]
    assert failed["missing"]["type"] == "notFound"
    assert failed["no-box"]["properties"] == ["mailboxIds"]
    assert failed["subject"]["properties"] == ["subject"]


async def test_copy_needs_another_visible_account(mail: MailClient) -> None:
    same = await mail.error("Email/copy", fromAccountId=mail.account_id, create={})
    assert same["type"] == "invalidArguments"
    unknown = await mail.error("Email/copy", fromAccountId="nobody", create={})
    assert unknown["type"] == "fromAccountNotFound"
    read_only = await mail.error(
        "Email/copy",
        fromAccountId=mail.accounts[1].id,
        create={},
        onSuccessDestroyOriginal=True,
    )
    assert read_only["type"] == "accountReadOnly"


async def test_on_success_destroy_original(mail: MailClient) -> None:
    original = await _bob_email(mail)
    writable = dataclasses.replace(mail.accounts[1], is_read_only=False)
    alice = MailClient(mail.store, mail.user, [mail.accounts[0], writable], mail.limits)
    inbox = await alice.mailbox_id("inbox")
    responses = (
        await alice.request(
            [
                [
                    "Email/copy",
                    {
                        "fromAccountId": writable.id,
                        "accountId": alice.account_id,
                        "create": {"c": {"id": original, "mailboxIds": {inbox: True}}},
                        "onSuccessDestroyOriginal": True,
                    },
                    "0",
                ]
            ]
        )
    )["methodResponses"]
    assert [r[0] for r in responses] == ["Email/copy", "Email/set"]
    assert responses[1][1]["destroyed"] == [original]
    assert responses[1][2] == "0"
