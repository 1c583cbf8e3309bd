"""Keywords set and cleared by path (`keywords/$seen: true`) are applied straight to the mail
index; the outcome must be exactly the generic /set's: the same keywords, counts, states and
errors, and patches that path does not take (case-folded, invalid, non-true values, mixed with
other properties) still behave as before."""

from __future__ import annotations

from typing import Any

from mail_client import MailClient, message


async def _keywords(mail: MailClient, email_id: str) -> dict[str, bool]:
    got = await mail.ok("Email/get", ids=[email_id], properties=["keywords"])
    return dict(got["list"][0]["keywords"])


async def test_set_and_clear_by_path(mail: MailClient) -> None:
    email_id = await mail.deliver(message())
    state = (await mail.ok("Email/get", ids=[]))["state"]
    result = await mail.ok(
        "Email/set", update={email_id: {"keywords/$seen": True, "keywords/$flagged": True}}
    )
    assert result["updated"] == {email_id: None}
    assert await _keywords(mail, email_id) == {"$seen": True, "$flagged": True}
    assert (await mail.mailboxes())["inbox"]["unreadEmails"] == 0
    assert (await mail.ok("Email/changes", sinceState=state))["updated"] == [email_id]

    await mail.ok("Email/set", update={email_id: {"keywords/$seen": None}})
    assert await _keywords(mail, email_id) == {"$flagged": True}
    assert (await mail.mailboxes())["inbox"]["unreadEmails"] == 1


async def test_a_patch_that_changes_nothing_moves_no_state(mail: MailClient) -> None:
    email_id = await mail.deliver(message(), keywords=["$seen"])
    state = (await mail.ok("Email/get", ids=[]))["state"]
    result = await mail.ok(
        "Email/set", update={email_id: {"keywords/$seen": True, "keywords/$draft": None}}
    )
    assert result["updated"] == {email_id: None}
    assert result["newState"] == state


async def test_unknown_and_destroyed_emails_are_not_found(mail: MailClient) -> None:
    email_id = await mail.deliver(message())
    await mail.ok("Email/set", destroy=[email_id])
    result = await mail.ok(
        "Email/set", update={email_id: {"keywords/$seen": True}, "nope": {"keywords/$seen": True}}
    )
    assert {k: v["type"] for k, v in result["notUpdated"].items()} == {
        email_id: "notFound",
        "nope": "notFound",
    }


async def test_patches_left_to_the_generic_path_behave_as_before(mail: MailClient) -> None:
    email_id = await mail.deliver(message())
    await mail.ok("Email/set", update={email_id: {"keywords/$Flagged": True}})
    assert await _keywords(mail, email_id) == {"$flagged": True}
    refused: dict[str, Any] = {
        "a": {"keywords/$seen": False},
        "b": {"keywords/bad(word": True},
    }
    for patch in refused.values():
        result = await mail.ok("Email/set", update={email_id: patch})
        assert result["notUpdated"][email_id]["type"] == "invalidProperties"
    inbox, archive = await mail.mailbox_id("inbox"), await mail.mailbox_id("archive")
    await mail.ok(
        "Email/set",
        update={email_id: {"keywords/$seen": True, f"mailboxIds/{archive}": True}},
    )
    got = await mail.ok("Email/get", ids=[email_id], properties=["keywords", "mailboxIds"])
    assert got["list"][0]["keywords"] == {"$flagged": True, "$seen": True}
    assert got["list"][0]["mailboxIds"] == {inbox: True, archive: True}


async def test_paths_and_whole_values_end_the_same(mail: MailClient) -> None:
    """The same changes, by path on one Email and as whole keyword sets on its twin."""
    by_path = await mail.deliver(message(message_id="<p@example.com>"), keywords=["$draft"])
    whole = await mail.deliver(message(message_id="<w@example.com>"), keywords=["$draft"])
    steps = [
        {"$seen": True},
        {"$flagged": True, "$draft": None},
        {"$seen": None, "work": True},
        {"$answered": True, "work": None, "$flagged": None},
    ]
    expected = {"$draft": True}
    for step in steps:
        for name, value in step.items():
            if value:
                expected[name] = True
            else:
                expected.pop(name, None)
        patch = {f"keywords/{name}": value for name, value in step.items()}
        await mail.ok("Email/set", update={by_path: patch, whole: {"keywords": dict(expected)}})
        assert await _keywords(mail, by_path) == await _keywords(mail, whole) == expected
    counts = (await mail.mailboxes())["inbox"]
    assert (counts["totalEmails"], counts["unreadEmails"]) == (2, 2)
