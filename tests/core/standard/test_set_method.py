"""Foo/set, RFC 8620 section 5.3, one rule per test."""

from __future__ import annotations

import asyncio

from jmap_client import Jmap
from note_type import CREATED_AT


async def test_create_returns_id_server_set_and_defaulted_properties(jmap: Jmap) -> None:
    result = await jmap.ok("Note/set", create={"c1": {"title": "hello", "done": True}})
    created = result["created"]["c1"]
    assert created.pop("id")
    assert created == {
        "body": "",
        "priority": 0,
        "tags": {},
        "meta": {},
        "parentId": None,
        "kind": "plain",
        "due": None,
        "createdAt": CREATED_AT,
        "revision": 0,
        "childCount": 0,
    }
    assert result["updated"] is None and result["destroyed"] is None
    assert result["notCreated"] is None


async def test_create_update_destroy_in_one_call_bump_the_state_once(jmap: Jmap) -> None:
    a = await jmap.create(title="a")
    b = await jmap.create(title="b")
    before = await jmap.state()
    result = await jmap.ok(
        "Note/set",
        create={"c": {"title": "c"}},
        update={a: {"title": "a2"}},
        destroy=[b],
    )
    assert result["oldState"] == before
    assert result["newState"] == await jmap.state() != before
    assert list(result["updated"]) == [a] and result["destroyed"] == [b]
    changes = await jmap.ok("Note/changes", sinceState=before)
    assert changes["hasMoreChanges"] is False
    assert changes["created"] == [result["created"]["c"]["id"]]
    assert changes["updated"] == [a] and changes["destroyed"] == [b]


async def test_if_in_state_mismatch_is_state_mismatch_and_changes_nothing(jmap: Jmap) -> None:
    old = await jmap.state()
    await jmap.create()
    current = await jmap.state()
    error = await jmap.error("Note/set", ifInState=old, create={"x": {"title": "x"}})
    assert error["type"] == "stateMismatch"
    assert await jmap.state() == current
    garbage = await jmap.error("Note/set", ifInState="garbage", create={"x": {"title": "x"}})
    assert garbage["type"] == "stateMismatch"


async def test_if_in_state_matching_applies(jmap: Jmap) -> None:
    state = await jmap.state()
    result = await jmap.ok("Note/set", ifInState=state, create={"x": {"title": "x"}})
    assert result["created"]["x"]["id"]


async def test_unknown_properties_are_named_in_invalid_properties(jmap: Jmap) -> None:
    result = await jmap.ok("Note/set", create={"c": {"title": "t", "colour": 1, "size": 2}})
    error = result["notCreated"]["c"]
    assert error["type"] == "invalidProperties"
    assert error["properties"] == ["colour", "size"]


async def test_wrong_value_types_are_invalid_properties(jmap: Jmap) -> None:
    result = await jmap.ok(
        "Note/set",
        create={"c": {"title": 5, "done": "yes", "tags": {"a": False}, "due": "tomorrow"}},
    )
    assert result["notCreated"]["c"]["properties"] == ["done", "due", "tags", "title"]


async def test_missing_required_property_is_invalid_properties(jmap: Jmap) -> None:
    result = await jmap.ok("Note/set", create={"c": {"body": "no title"}})
    assert result["notCreated"]["c"] == {
        "type": "invalidProperties",
        "description": result["notCreated"]["c"]["description"],
        "properties": ["title"],
    }


async def test_server_set_properties_on_create_are_invalid_properties(jmap: Jmap) -> None:
    result = await jmap.ok("Note/set", create={"c": {"title": "t", "id": "abc", "revision": 0}})
    assert result["notCreated"]["c"]["properties"] == ["id", "revision"]


async def test_one_failure_never_aborts_the_others(jmap: Jmap) -> None:
    a = await jmap.create()
    result = await jmap.ok(
        "Note/set",
        create={"good": {"title": "ok"}, "bad": {"title": 1}},
        update={a: {"done": True}, "missing": {"done": True}},
        destroy=["missing2"],
    )
    assert list(result["created"]) == ["good"] and list(result["notCreated"]) == ["bad"]
    assert list(result["updated"]) == [a]
    assert result["notUpdated"]["missing"]["type"] == "notFound"
    assert result["notDestroyed"]["missing2"]["type"] == "notFound"


async def test_hook_set_error_refuses_one_create(jmap: Jmap) -> None:
    result = await jmap.ok("Note/set", create={"a": {"title": "refuse me"}, "b": {"title": "fine"}})
    assert result["notCreated"]["a"]["type"] == "forbidden"
    assert list(result["created"]) == ["b"]


async def test_update_returns_null_or_server_changed_properties(jmap: Jmap) -> None:
    a = await jmap.create(title="t")
    result = await jmap.ok("Note/set", update={a: {"title": "t2"}})
    # The hook bumps `revision`, a change the client did not ask for.
    assert result["updated"] == {a: {"revision": 1}}
    got = await jmap.ok("Note/get", ids=[a], properties=["title", "revision"])
    assert got["list"] == [{"id": a, "title": "t2", "revision": 1}]


async def test_update_and_destroy_of_unknown_id_are_not_found(jmap: Jmap) -> None:
    result = await jmap.ok("Note/set", update={"zzz": {"title": "x"}}, destroy=["yyy"])
    assert result["notUpdated"]["zzz"]["type"] == "notFound"
    assert result["notDestroyed"]["yyy"]["type"] == "notFound"
    assert result["newState"] == result["oldState"]


async def test_destroyed_record_is_gone_and_second_destroy_not_found(jmap: Jmap) -> None:
    a = await jmap.create()
    assert (await jmap.ok("Note/set", destroy=[a]))["destroyed"] == [a]
    assert (await jmap.ok("Note/get", ids=[a]))["notFound"] == [a]
    again = await jmap.ok("Note/set", destroy=[a])
    assert again["notDestroyed"][a]["type"] == "notFound"


async def test_update_of_immutable_property_is_invalid_properties(jmap: Jmap) -> None:
    a = await jmap.create(kind="idea")
    result = await jmap.ok("Note/set", update={a: {"kind": "task"}})
    assert result["notUpdated"][a]["properties"] == ["kind"]
    same = await jmap.ok("Note/set", update={a: {"kind": "idea"}})
    assert a in same["updated"]


async def test_server_set_property_in_patch_only_with_current_value(jmap: Jmap) -> None:
    a = await jmap.create()
    bad = await jmap.ok("Note/set", update={a: {"revision": 7, "id": "other"}})
    assert bad["notUpdated"][a]["properties"] == ["id", "revision"]
    whole = (await jmap.ok("Note/get", ids=[a]))["list"][0]
    whole["title"] = "sent back whole"
    ok = await jmap.ok("Note/set", update={a: whole})
    assert a in ok["updated"]


async def test_unknown_property_in_patch_is_invalid_properties(jmap: Jmap) -> None:
    a = await jmap.create()
    result = await jmap.ok("Note/set", update={a: {"colour": "red", "shape/x": 1}})
    assert result["notUpdated"][a]["type"] == "invalidProperties"
    assert result["notUpdated"][a]["properties"] == ["colour", "shape"]


async def test_patch_null_restores_default_or_is_invalid(jmap: Jmap) -> None:
    a = await jmap.create(body="text", due="2024-05-01T10:00:00Z")
    await jmap.ok("Note/set", update={a: {"body": None, "due": None}})
    got = (await jmap.ok("Note/get", ids=[a], properties=["body", "due"]))["list"][0]
    assert got == {"id": a, "body": "", "due": None}
    bad = await jmap.ok("Note/set", update={a: {"title": None}})
    assert bad["notUpdated"][a]["properties"] == ["title"]


async def test_patch_paths_update_nested_keys(jmap: Jmap) -> None:
    a = await jmap.create(tags={"x": True}, meta={"a/b": {"c~d": 1}})
    result = await jmap.ok(
        "Note/set",
        update={a: {"tags/y": True, "tags/x": None, "meta/a~1b/c~0d": 2}},
    )
    assert a in result["updated"]
    got = (await jmap.ok("Note/get", ids=[a], properties=["tags", "meta"]))["list"][0]
    assert got["tags"] == {"y": True}
    assert got["meta"] == {"a/b": {"c~d": 2}}


async def test_invalid_patch_is_invalid_patch_and_leaves_record(jmap: Jmap) -> None:
    a = await jmap.create(tags={"x": True}, meta={"list": [1, 2]})
    result = await jmap.ok(
        "Note/set",
        update={a: {"tags": {"z": True}, "tags/y": True}},
    )
    assert result["notUpdated"][a]["type"] == "invalidPatch"
    through_missing = await jmap.ok("Note/set", update={a: {"meta/nothing/here": 1}})
    assert through_missing["notUpdated"][a]["type"] == "invalidPatch"
    into_array = await jmap.ok("Note/set", update={a: {"meta/list/0": 3}})
    assert into_array["notUpdated"][a]["type"] == "invalidPatch"
    not_object = await jmap.ok("Note/set", update={a: ["title"]})
    assert not_object["notUpdated"][a]["type"] == "invalidPatch"
    got = (await jmap.ok("Note/get", ids=[a], properties=["tags", "meta"]))["list"][0]
    assert got["tags"] == {"x": True} and got["meta"] == {"list": [1, 2]}


async def test_patch_value_checked_against_property_type(jmap: Jmap) -> None:
    a = await jmap.create(tags={"x": True})
    result = await jmap.ok("Note/set", update={a: {"tags/y": "yes"}})
    assert result["notUpdated"][a]["properties"] == ["tags"]


async def test_creation_id_reference_within_one_call_in_any_order(jmap: Jmap) -> None:
    result = await jmap.ok(
        "Note/set",
        create={
            "child": {"title": "child", "parentId": "#parent"},
            "parent": {"title": "parent"},
        },
    )
    assert result["notCreated"] is None
    child = result["created"]["child"]["id"]
    parent = result["created"]["parent"]["id"]
    got = (await jmap.ok("Note/get", ids=[child], properties=["parentId"]))["list"][0]
    assert got["parentId"] == parent


async def test_creation_ids_recorded_for_later_calls_and_response(jmap: Jmap) -> None:
    account = jmap.account_id
    response = await jmap.request(
        [
            ["Note/set", {"accountId": account, "create": {"p": {"title": "p"}}}, "0"],
            [
                "Note/set",
                {
                    "accountId": account,
                    "create": {"k": {"title": "k", "parentId": "#p"}},
                    "update": {"#p": {"done": True}},
                },
                "1",
            ],
        ],
        created_ids={},
    )
    first = response["methodResponses"][0][1]
    second = response["methodResponses"][1][1]
    parent = first["created"]["p"]["id"]
    assert second["notCreated"] is None
    assert list(second["updated"]) == [parent]
    assert response["createdIds"] == {"p": parent, "k": second["created"]["k"]["id"]}


async def test_reference_to_unknown_creation_id_is_invalid_properties(jmap: Jmap) -> None:
    result = await jmap.ok("Note/set", create={"c": {"title": "c", "parentId": "#nope"}})
    assert result["notCreated"]["c"]["properties"] == ["parentId"]


async def test_foreign_key_to_missing_record_is_invalid_properties(jmap: Jmap) -> None:
    result = await jmap.ok("Note/set", create={"c": {"title": "c", "parentId": "missing"}})
    assert result["notCreated"]["c"]["properties"] == ["parentId"]


async def test_too_many_objects_is_request_too_large(jmap: Jmap) -> None:
    error = await jmap.error(
        "Note/set",
        create={f"c{i}": {"title": "x"} for i in range(15)},
        destroy=[f"d{i}" for i in range(6)],
    )
    assert error["type"] == "requestTooLarge"
    assert (await jmap.ok("Note/get", ids=None))["list"] == []


async def test_update_of_record_destroyed_in_same_call_is_will_destroy(jmap: Jmap) -> None:
    a = await jmap.create()
    result = await jmap.ok("Note/set", update={a: {"done": True}}, destroy=[a])
    assert result["notUpdated"][a]["type"] == "willDestroy"
    assert result["destroyed"] == [a]


async def test_destroy_hook_refuses_and_cascades(jmap: Jmap) -> None:
    locked = await jmap.create(tags={"locked": True})
    parent = await jmap.create(title="parent")
    child = await jmap.create(title="child", parentId=parent)
    result = await jmap.ok("Note/set", destroy=[locked, parent])
    assert result["notDestroyed"][locked]["type"] == "forbidden"
    assert result["destroyed"] == [parent]
    assert (await jmap.ok("Note/get", ids=[child]))["notFound"] == [child]


async def test_refused_cascade_leaves_every_record(jmap: Jmap) -> None:
    parent = await jmap.create(title="parent")
    child = await jmap.create(title="child", parentId=parent)
    locked = await jmap.create(title="grandchild", parentId=child, tags={"locked": True})
    state = await jmap.state()
    result = await jmap.ok("Note/set", destroy=[parent])
    assert result["notDestroyed"][parent]["type"] == "forbidden"
    assert result["newState"] == state
    assert (await jmap.ok("Note/get", ids=[parent, child, locked]))["notFound"] == []


async def test_read_only_account_is_account_read_only(jmap: Jmap) -> None:
    error = await jmap.error(
        "Note/set", accountId=jmap.accounts[2].id, create={"c": {"title": "x"}}
    )
    assert error["type"] == "accountReadOnly"


async def test_malformed_arguments_are_invalid_arguments(jmap: Jmap) -> None:
    for args in ({"create": []}, {"update": "x"}, {"destroy": "x"}, {"ifInState": 3}):
        error = await jmap.error("Note/set", **args)
        assert error["type"] == "invalidArguments", args


async def test_noop_set_keeps_state(jmap: Jmap) -> None:
    state = await jmap.state()
    result = await jmap.ok("Note/set")
    assert result["oldState"] == result["newState"] == state


async def test_null_server_set_properties_on_create_are_taken_as_omitted(jmap: Jmap) -> None:
    result = await jmap.ok("Note/set", create={"c": {"title": "t", "id": None, "revision": None}})
    assert result["notCreated"] is None
    assert result["created"]["c"]["revision"] == 0


async def test_created_reports_computed_server_set_values(jmap: Jmap) -> None:
    result = await jmap.ok(
        "Note/set",
        create={"p": {"title": "p"}, "k": {"title": "k", "parentId": "#p"}},
    )
    assert result["created"]["k"]["childCount"] == 0
    got = await jmap.ok("Note/get", ids=[result["created"]["p"]["id"]], properties=["childCount"])
    assert got["list"][0]["childCount"] == 1


async def test_concurrent_sets_with_the_same_if_in_state_let_exactly_one_through(
    jmap: Jmap,
) -> None:
    # Two clients racing on one state: the store orders the transactions, so the second
    # sees the first's change and must be refused (RFC 8620 section 5.3, ifInState).
    state = await jmap.state()
    answers = await asyncio.gather(
        *(
            jmap.responses("Note/set", ifInState=state, create={"x": {"title": str(i)}})
            for i in range(6)
        )
    )
    kinds = sorted(answer[0][0] for answer in answers)
    assert kinds == ["Note/set"] + ["error"] * 5
    errors = [answer[0][1]["type"] for answer in answers if answer[0][0] == "error"]
    assert errors == ["stateMismatch"] * 5
    assert len((await jmap.ok("Note/get", ids=None))["list"]) == 1
