"""Mailbox (RFC 8621 section 2) through the engine on the real store: provisioning, every
property, /set rules, /query tree arguments, /changes updatedProperties."""

from __future__ import annotations

from pathlib import Path

from mail_client import MailClient, message
from sqlite_support import sqlite_of

from satchel.mail.ingest import Incoming, ingest
from satchel.mail.provision import provision_account
from satchel.store.sqlite import SqliteStore

ROLES = {"inbox", "drafts", "sent", "trash", "junk", "archive"}
PROPERTIES = {
    "id",
    "name",
    "parentId",
    "role",
    "sortOrder",
    "totalEmails",
    "unreadEmails",
    "totalThreads",
    "unreadThreads",
    "myRights",
    "isSubscribed",
}


async def test_a_new_account_starts_with_the_role_mailboxes(mail: MailClient) -> None:
    result = await mail.ok("Mailbox/get", ids=None)
    assert {m["role"] for m in result["list"]} == ROLES
    inbox = next(m for m in result["list"] if m["role"] == "inbox")
    assert set(inbox) == PROPERTIES
    assert inbox["name"] == "Inbox"
    assert inbox["parentId"] is None
    assert inbox["totalEmails"] == inbox["unreadThreads"] == 0
    assert all(inbox["myRights"].values()) and len(inbox["myRights"]) == 9
    assert inbox["isSubscribed"] is True


async def test_provisioning_is_idempotent(mail: MailClient) -> None:
    first = await provision_account(mail.store, mail.account_id)
    assert len(first) == 6
    assert await provision_account(mail.store, mail.account_id) == []
    assert len((await mail.ok("Mailbox/get", ids=None))["list"]) == 6


async def test_a_read_only_account_is_not_provisioned(mail: MailClient) -> None:
    result = await mail.ok("Mailbox/get", accountId=mail.accounts[1].id, ids=None)
    assert result["list"] == []


async def test_counts_follow_delivery_and_seen(mail: MailClient) -> None:
    inbox = await mail.mailbox_id("inbox")
    first = await mail.deliver(message("One", message_id="<a@x>"))
    await mail.deliver(message("Re: One", message_id="<b@x>", in_reply_to="<a@x>"))
    await mail.deliver(message("Other", message_id="<c@x>"), keywords=["$seen"])
    counts = (await mail.mailboxes())["inbox"]
    assert (counts["totalEmails"], counts["unreadEmails"]) == (3, 2)
    assert (counts["totalThreads"], counts["unreadThreads"]) == (2, 1)
    state = (await mail.ok("Mailbox/get", ids=[]))["state"]
    await mail.ok("Email/set", update={first: {"keywords/$seen": True}})
    changes = await mail.ok("Mailbox/changes", sinceState=state)
    assert changes["updated"] == [inbox]
    assert changes["updatedProperties"] == [
        "totalEmails",
        "unreadEmails",
        "totalThreads",
        "unreadThreads",
    ]
    assert (await mail.mailboxes())["inbox"]["unreadEmails"] == 1


async def test_a_rename_reports_no_updated_properties(mail: MailClient) -> None:
    inbox = await mail.mailbox_id("inbox")
    state = (await mail.ok("Mailbox/get", ids=[]))["state"]
    result = await mail.ok("Mailbox/set", update={inbox: {"name": "In"}})
    assert result["updated"] == {inbox: None}
    changes = await mail.ok("Mailbox/changes", sinceState=state)
    assert changes["updated"] == [inbox]
    assert changes["updatedProperties"] is None


async def test_create_child_mailbox_and_read_it_back(mail: MailClient) -> None:
    inbox = await mail.mailbox_id("inbox")
    result = await mail.set_mailbox(name="Projects", parentId=inbox)
    created = result["created"]["new"]
    assert created["totalEmails"] == 0 and created["myRights"]["mayDelete"] is True
    got = await mail.ok("Mailbox/get", ids=[created["id"]])
    box = got["list"][0]
    assert (box["name"], box["parentId"], box["role"], box["sortOrder"]) == (
        "Projects",
        inbox,
        None,
        0,
    )


async def test_sibling_names_must_differ(mail: MailClient) -> None:
    result = await mail.set_mailbox(name="Inbox")
    assert result["notCreated"]["new"]["type"] == "invalidProperties"
    assert result["notCreated"]["new"]["properties"] == ["name"]
    inbox = await mail.mailbox_id("inbox")
    assert (await mail.set_mailbox(name="Inbox", parentId=inbox))["created"]


async def test_empty_and_overlong_names_are_invalid(mail: MailClient) -> None:
    for name in ("", "x" * 256, "tab\there"):
        result = await mail.set_mailbox(name=name)
        assert result["notCreated"]["new"]["properties"] == ["name"], name


async def test_a_mailbox_cannot_become_its_own_descendant(mail: MailClient) -> None:
    top = await mail.create_mailbox("Top")
    child = await mail.create_mailbox("Child", parentId=top)
    grandchild = await mail.create_mailbox("Grandchild", parentId=child)
    for parent in (top, grandchild):
        result = await mail.ok("Mailbox/set", update={top: {"parentId": parent}})
        assert result["notUpdated"][top]["type"] == "invalidProperties"
        assert result["notUpdated"][top]["properties"] == ["parentId"]


async def test_an_unknown_parent_is_invalid(mail: MailClient) -> None:
    result = await mail.set_mailbox(name="Lost", parentId="nope")
    assert result["notCreated"]["new"]["properties"] == ["parentId"]


async def test_nesting_is_limited_to_max_mailbox_depth(mail: MailClient) -> None:
    session_depth = 16
    parent = None
    for level in range(session_depth):
        parent = await mail.create_mailbox(f"L{level}", parentId=parent)
    result = await mail.set_mailbox(name="too deep", parentId=parent)
    assert result["notCreated"]["new"]["properties"] == ["parentId"]


async def test_roles_are_unique_and_known(mail: MailClient) -> None:
    taken = await mail.set_mailbox(name="Second inbox", role="inbox")
    assert taken["notCreated"]["new"]["properties"] == ["role"]
    unknown = await mail.set_mailbox(name="Odd", role="not-a-role")
    assert unknown["notCreated"]["new"]["properties"] == ["role"]
    assert (await mail.set_mailbox(name="Everything", role="all"))["created"]


async def test_server_set_counts_cannot_be_written(mail: MailClient) -> None:
    result = await mail.set_mailbox(name="Cheat", totalEmails=5)
    assert result["notCreated"]["new"]["properties"] == ["totalEmails"]


async def test_destroy_refuses_a_mailbox_with_children(mail: MailClient) -> None:
    top = await mail.create_mailbox("Top")
    await mail.create_mailbox("Child", parentId=top)
    result = await mail.ok("Mailbox/set", destroy=[top])
    assert result["notDestroyed"][top]["type"] == "mailboxHasChild"


async def test_destroy_refuses_a_mailbox_with_email(mail: MailClient) -> None:
    box = await mail.create_mailbox("Box")
    await mail.deliver(message(), mailbox_ids=[box])
    result = await mail.ok("Mailbox/set", destroy=[box])
    assert result["notDestroyed"][box]["type"] == "mailboxHasEmail"


async def test_on_destroy_remove_emails_destroys_emails_only_there(mail: MailClient) -> None:
    inbox = await mail.mailbox_id("inbox")
    box = await mail.create_mailbox("Box")
    only_here = await mail.deliver(message("only", message_id="<o@x>"), mailbox_ids=[box])
    shared = await mail.deliver(message("both", message_id="<s@x>"), mailbox_ids=[box, inbox])
    result = await mail.ok("Mailbox/set", destroy=[box], onDestroyRemoveEmails=True)
    assert result["destroyed"] == [box]
    got = await mail.ok("Email/get", ids=[only_here, shared], properties=["mailboxIds"])
    assert got["notFound"] == [only_here]
    assert got["list"][0]["mailboxIds"] == {inbox: True}


async def test_query_filters_and_sorts(mail: MailClient) -> None:
    inbox = await mail.mailbox_id("inbox")
    child = await mail.create_mailbox("Zeta", parentId=inbox, isSubscribed=False)
    roles = await mail.ok("Mailbox/query", filter={"hasAnyRole": True})
    assert len(roles["ids"]) == 6
    assert (await mail.ok("Mailbox/query", filter={"parentId": inbox}))["ids"] == [child]
    assert (await mail.ok("Mailbox/query", filter={"role": "inbox"}))["ids"] == [inbox]
    assert (await mail.ok("Mailbox/query", filter={"isSubscribed": False}))["ids"] == [child]
    assert (await mail.ok("Mailbox/query", filter={"name": "zet"}))["ids"] == [child]
    by_name = await mail.ok("Mailbox/query", sort=[{"property": "name"}])
    names = [m["name"] for m in (await mail.ok("Mailbox/get", ids=by_name["ids"]))["list"]]
    assert names == sorted(names, key=str.casefold)
    bad = await mail.error("Mailbox/query", sort=[{"property": "totalEmails"}])
    assert bad["type"] == "unsupportedSort"


async def test_sort_as_tree_puts_children_after_parents(mail: MailClient) -> None:
    aaa = await mail.create_mailbox("AAA")
    child = await mail.create_mailbox("Child", parentId=aaa)
    result = await mail.ok(
        "Mailbox/query", sort=[{"property": "name", "isAscending": False}], sortAsTree=True
    )
    ids = result["ids"]
    assert ids.index(child) == ids.index(aaa) + 1


async def test_filter_as_tree_drops_mailboxes_whose_parent_does_not_match(
    mail: MailClient,
) -> None:
    top = await mail.create_mailbox("Match top")
    inner = await mail.create_mailbox("Match inner", parentId=top)
    lonely_parent = await mail.create_mailbox("Other")
    lonely = await mail.create_mailbox("Match lonely", parentId=lonely_parent)
    plain = await mail.ok("Mailbox/query", filter={"name": "Match"})
    assert set(plain["ids"]) == {top, inner, lonely}
    tree = await mail.ok("Mailbox/query", filter={"name": "Match"}, filterAsTree=True)
    assert set(tree["ids"]) == {top, inner}


async def test_destroy_a_subtree_in_one_call_in_any_order(mail: MailClient) -> None:
    top = await mail.create_mailbox("Top")
    child = await mail.create_mailbox("Child", parentId=top)
    grandchild = await mail.create_mailbox("Grandchild", parentId=child)
    result = await mail.ok("Mailbox/set", destroy=[top, grandchild, child])
    assert sorted(result["destroyed"]) == sorted([top, child, grandchild])
    assert result["notDestroyed"] is None


async def test_get_by_ids_and_properties_after_getting_them_all(mail: MailClient) -> None:
    # The first /get files every mailbox under the state; the second is answered from that.
    every = {m["id"]: m for m in (await mail.ok("Mailbox/get", ids=None))["list"]}
    inbox = await mail.mailbox_id("inbox")
    result = await mail.ok(
        "Mailbox/get", ids=[inbox, "nope", inbox], properties=["name", "unreadEmails"]
    )
    assert result["list"] == [{"id": inbox, "name": "Inbox", "unreadEmails": 0}]
    assert result["notFound"] == ["nope"]
    assert (await mail.ok("Mailbox/get", ids=None))["list"] == list(every.values())


async def test_get_sees_what_another_process_wrote(mail: MailClient, tmp_path: Path) -> None:
    # `satchel serve --workers 2`: the other worker delivers through its own store on the file.
    before = (await mail.mailboxes())["inbox"]
    other = SqliteStore.open(sqlite_of(mail.store).db_path.parent)
    try:
        await ingest(other, mail.account_id, Incoming(message("From the other worker")))
    finally:
        await other.close()
    after = (await mail.mailboxes())["inbox"]
    assert (after["totalEmails"], after["unreadEmails"]) == (1, 1)
    assert before["totalEmails"] == 0
