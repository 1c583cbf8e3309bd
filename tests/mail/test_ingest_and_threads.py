"""Ingest (one path for LMTP, import and Email/import) and Thread assignment (RFC 8621
section 3) on the real store, checked through Email/get, Thread/get and Thread/changes."""

from __future__ import annotations

import pytest
from mail_client import MailClient, message, multipart_message

from satchel.mail.ingest import Incoming, IngestError, ingest_batch, mailbox_id_by_role_or_name
from satchel.mail.threading import base_subject


async def test_ingest_creates_an_email_with_every_stored_property(mail: MailClient) -> None:
    raw = message("Lunch?", message_id="<lunch@x>")
    email_id = await mail.deliver(raw, keywords=["$Flagged"], received_at=1_700_000_000)
    email = (await mail.ok("Email/get", ids=[email_id]))["list"][0]
    inbox = await mail.mailbox_id("inbox")
    assert email["mailboxIds"] == {inbox: True}
    assert email["keywords"] == {"$flagged": True}
    assert email["receivedAt"] == "2023-11-14T22:13:20Z"
    assert email["size"] == len(raw)
    assert email["subject"] == "Lunch?"
    assert email["messageId"] == ["lunch@x"]
    assert email["from"] == [{"name": "Bob", "email": "bob@example.com"}]
    assert email["sentAt"] == "2023-01-02T10:00:00Z"
    assert email["preview"].startswith("Hi Alice")
    assert email["hasAttachment"] is False
    assert email["blobId"] and email["threadId"]
    # The message blob is the message itself.
    assert mail.store.blobs.open(email["blobId"]) == raw


async def test_a_reply_joins_the_thread_of_its_parent(mail: MailClient) -> None:
    first = await mail.deliver(message("Plans", message_id="<p1@x>"), received_at=100)
    reply = await mail.deliver(
        message("Re: Plans", message_id="<p2@x>", in_reply_to="<p1@x>", references="<p1@x>"),
        received_at=200,
    )
    got = await mail.ok("Email/get", ids=[first, reply], properties=["threadId"])
    thread_ids = {e["threadId"] for e in got["list"]}
    assert len(thread_ids) == 1
    thread = await mail.ok("Thread/get", ids=list(thread_ids))
    assert thread["list"][0]["emailIds"] == [first, reply]


async def test_emails_in_a_thread_are_oldest_first(mail: MailClient) -> None:
    late = await mail.deliver(message("Topic", message_id="<t1@x>"), received_at=500)
    early = await mail.deliver(
        message("Re: Topic", message_id="<t2@x>", in_reply_to="<t1@x>"), received_at=100
    )
    thread_id = (await mail.ok("Email/get", ids=[late], properties=["threadId"]))["list"][0][
        "threadId"
    ]
    thread = await mail.ok("Thread/get", ids=[thread_id])
    assert thread["list"][0]["emailIds"] == [early, late]


async def test_a_reply_with_a_new_subject_starts_a_new_thread(mail: MailClient) -> None:
    first = await mail.deliver(message("Plans", message_id="<q1@x>"))
    other = await mail.deliver(
        message("Something else entirely", message_id="<q2@x>", in_reply_to="<q1@x>")
    )
    got = await mail.ok("Email/get", ids=[first, other], properties=["threadId"])
    assert got["list"][0]["threadId"] != got["list"][1]["threadId"]


async def test_unrelated_messages_get_their_own_threads(mail: MailClient) -> None:
    a = await mail.deliver(message("Same subject", message_id="<u1@x>"))
    b = await mail.deliver(message("Same subject", message_id="<u2@x>"))
    got = await mail.ok("Email/get", ids=[a, b], properties=["threadId"])
    assert got["list"][0]["threadId"] != got["list"][1]["threadId"]


async def test_thread_changes_show_new_and_grown_threads(mail: MailClient) -> None:
    first = await mail.deliver(message("Plans", message_id="<c1@x>"))
    state = (await mail.ok("Thread/get", ids=[]))["state"]
    thread_id = (await mail.ok("Email/get", ids=[first], properties=["threadId"]))["list"][0][
        "threadId"
    ]
    await mail.deliver(message("Re: Plans", message_id="<c2@x>", in_reply_to="<c1@x>"))
    await mail.deliver(message("New", message_id="<c3@x>"))
    changes = await mail.ok("Thread/changes", sinceState=state)
    assert changes["updated"] == [thread_id]
    assert len(changes["created"]) == 1


def test_base_subject_strips_reply_and_forward_prefixes() -> None:
    assert base_subject("Re: Fwd: [list] RE:  Hello   World (fwd)") == "hello world"
    assert base_subject(None) == ""
    assert base_subject("Re[2]: Hi") == "hi"


async def test_ingest_into_named_mailboxes_and_unknown_ones(mail: MailClient) -> None:
    archive = await mail.mailbox_id("archive")
    email_id = await mail.deliver(message(), mailbox_ids=[archive])
    got = await mail.ok("Email/get", ids=[email_id], properties=["mailboxIds"])
    assert got["list"][0]["mailboxIds"] == {archive: True}
    with pytest.raises(IngestError):
        await mail.deliver(message(message_id="<z@x>"), mailbox_ids=["nope"])


async def test_a_batch_is_all_or_nothing(mail: MailClient) -> None:
    await mail.mailbox_id("inbox")  # provision
    state = (await mail.ok("Email/get", ids=[]))["state"]
    batch = [Incoming(message(message_id="<ok@x>")), Incoming(message(), mailbox_ids=["bad"])]
    with pytest.raises(IngestError):
        await ingest_batch(mail.store, mail.account_id, batch)
    assert (await mail.ok("Email/get", ids=[]))["state"] == state
    ids, commit = await ingest_batch(
        mail.store, mail.account_id, [Incoming(message(message_id=f"<{n}@x>")) for n in range(3)]
    )
    assert len(ids) == 3 and "Email" in commit.changed_types
    assert len((await mail.ok("Email/query"))["ids"]) == 3


async def test_ingest_provisions_a_new_account(mail: MailClient) -> None:
    email_id = await mail.deliver(message())
    got = await mail.ok("Email/get", ids=[email_id], properties=["mailboxIds"])
    inbox = await mail.mailbox_id("inbox")
    assert got["list"][0]["mailboxIds"] == {inbox: True}


async def test_plus_address_mailbox_by_name_or_role(mail: MailClient) -> None:
    lists = await mail.create_mailbox("Lists")
    assert await mailbox_id_by_role_or_name(mail.store, mail.account_id, "lists") == lists
    trash = await mail.mailbox_id("trash")
    assert await mailbox_id_by_role_or_name(mail.store, mail.account_id, "TRASH") == trash
    assert await mailbox_id_by_role_or_name(mail.store, mail.account_id, "nothing") is None


async def test_multipart_ingest_has_body_parts_with_blob_ids(mail: MailClient) -> None:
    email_id = await mail.deliver(multipart_message())
    email = (await mail.ok("Email/get", ids=[email_id]))["list"][0]
    assert email["hasAttachment"] is True
    assert [p["type"] for p in email["textBody"]] == ["text/plain"]
    assert [p["type"] for p in email["htmlBody"]] == ["text/html"]
    [attachment] = email["attachments"]
    assert attachment["name"] == "report.pdf"
    assert attachment["blobId"] == f"{email['blobId']}P{attachment['partId']}"


async def test_a_parent_arriving_after_its_reply_joins_the_reply_thread(mail: MailClient) -> None:
    reply = await mail.deliver(
        message("Re: Late", message_id="<late2@x>", references="<late1@x>"), received_at=200
    )
    parent = await mail.deliver(message("Late", message_id="<late1@x>"), received_at=100)
    got = await mail.ok("Email/get", ids=[reply, parent], properties=["threadId"])
    assert got["list"][0]["threadId"] == got["list"][1]["threadId"]
    thread = await mail.ok("Thread/get", ids=[got["list"][0]["threadId"]])
    assert thread["list"][0]["emailIds"] == [parent, reply]
