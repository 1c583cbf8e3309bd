"""Foo/copy, RFC 8620 section 5.4, one rule per test. Alice sees bob's account as well."""

from __future__ import annotations

from jmap_client import Jmap
from note_type import CREATED_AT


async def test_copy_creates_in_target_with_overrides(jmap: Jmap) -> None:
    bob = jmap.accounts[1].id
    source = await jmap.create(title="original", body="text", tags={"t": True})
    result = await jmap.ok(
        "Note/copy",
        fromAccountId=jmap.account_id,
        accountId=bob,
        create={"k": {"id": source, "title": "copied"}},
    )
    assert result["fromAccountId"] == jmap.account_id and result["accountId"] == bob
    copy = result["created"]["k"]
    assert copy == {"id": copy["id"], "createdAt": CREATED_AT, "revision": 0, "childCount": 0}
    got = (await jmap.ok("Note/get", accountId=bob, ids=[copy["id"]]))["list"][0]
    assert (got["title"], got["body"], got["tags"]) == ("copied", "text", {"t": True})
    assert result["newState"] == await jmap.state(bob) != result["oldState"]
    # The original stays.
    assert (await jmap.ok("Note/get", ids=[source]))["notFound"] == []


async def test_copy_of_missing_record_is_not_found(jmap: Jmap) -> None:
    result = await jmap.ok(
        "Note/copy",
        fromAccountId=jmap.account_id,
        accountId=jmap.accounts[1].id,
        create={"k": {"id": "missing"}, "n": {"title": "no id"}},
    )
    assert result["created"] is None
    assert result["notCreated"]["k"]["type"] == "notFound"
    assert result["notCreated"]["n"]["type"] == "invalidProperties"


async def test_copy_to_same_account_is_invalid_arguments(jmap: Jmap) -> None:
    error = await jmap.error("Note/copy", fromAccountId=jmap.account_id, create={"k": {"id": "x"}})
    assert error["type"] == "invalidArguments"


async def test_unknown_from_account_is_from_account_not_found(jmap: Jmap) -> None:
    error = await jmap.error(
        "Note/copy", fromAccountId="nobody", accountId=jmap.accounts[1].id, create={}
    )
    assert error["type"] == "fromAccountNotFound"


async def test_if_from_in_state_and_if_in_state_mismatch(jmap: Jmap) -> None:
    bob = jmap.accounts[1].id
    source = await jmap.create()
    old = await jmap.state()
    await jmap.create()
    error = await jmap.error(
        "Note/copy",
        fromAccountId=jmap.account_id,
        ifFromInState=old,
        accountId=bob,
        create={"k": {"id": source}},
    )
    assert error["type"] == "stateMismatch"
    bob_old = await jmap.state(bob)
    await jmap.create(account_id=bob)
    error = await jmap.error(
        "Note/copy",
        fromAccountId=jmap.account_id,
        accountId=bob,
        ifInState=bob_old,
        create={"k": {"id": source}},
    )
    assert error["type"] == "stateMismatch"
    assert len((await jmap.ok("Note/get", accountId=bob, ids=None))["list"]) == 1


async def test_on_success_destroy_original_appends_implicit_set(jmap: Jmap) -> None:
    bob = jmap.accounts[1].id
    source = await jmap.create()
    state = await jmap.state()
    response = await jmap.request(
        [
            [
                "Note/copy",
                {
                    "fromAccountId": jmap.account_id,
                    "accountId": bob,
                    "create": {"k": {"id": source}, "m": {"id": "missing"}},
                    "onSuccessDestroyOriginal": True,
                    "destroyFromIfInState": state,
                },
                "0",
            ]
        ]
    )
    (copy_name, _, copy_id), (set_name, set_args, set_id) = response["methodResponses"]
    assert (copy_name, copy_id, set_name, set_id) == ("Note/copy", "0", "Note/set", "0")
    assert set_args["accountId"] == jmap.account_id
    assert set_args["destroyed"] == [source]
    assert (await jmap.ok("Note/get", ids=[source]))["notFound"] == [source]


async def test_destroy_from_if_in_state_mismatch_keeps_original(jmap: Jmap) -> None:
    bob = jmap.accounts[1].id
    source = await jmap.create()
    stale = await jmap.state()
    await jmap.create()
    response = await jmap.request(
        [
            [
                "Note/copy",
                {
                    "fromAccountId": jmap.account_id,
                    "accountId": bob,
                    "create": {"k": {"id": source}},
                    "onSuccessDestroyOriginal": True,
                    "destroyFromIfInState": stale,
                },
                "0",
            ]
        ]
    )
    (_, copy_args, _), (name, error, _) = response["methodResponses"]
    assert copy_args["created"]["k"]["id"]
    assert (name, error["type"]) == ("error", "stateMismatch")
    assert (await jmap.ok("Note/get", ids=[source]))["notFound"] == []


async def test_copy_into_read_only_account_is_account_read_only(jmap: Jmap) -> None:
    source = await jmap.create()
    error = await jmap.error(
        "Note/copy",
        fromAccountId=jmap.account_id,
        accountId=jmap.accounts[2].id,
        create={"k": {"id": source}},
    )
    assert error["type"] == "accountReadOnly"


async def test_copy_with_dangling_reference_is_invalid_properties(jmap: Jmap) -> None:
    parent = await jmap.create()
    child = await jmap.create(parentId=parent)
    result = await jmap.ok(
        "Note/copy",
        fromAccountId=jmap.account_id,
        accountId=jmap.accounts[1].id,
        create={"k": {"id": child}},
    )
    assert result["notCreated"]["k"]["properties"] == ["parentId"]
