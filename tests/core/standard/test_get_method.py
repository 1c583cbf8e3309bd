"""Foo/get, RFC 8620 section 5.1, one rule per test."""

from __future__ import annotations

from jmap_client import Jmap

ALL_PROPERTIES = {
    "id", "title", "body", "done", "priority", "tags", "meta", "parentId", "kind",
    "createdAt", "revision", "childCount", "due",
}  # fmt: skip


async def test_ids_null_returns_every_record_with_every_property(jmap: Jmap) -> None:
    a = await jmap.create(title="a")
    b = await jmap.create(title="b", body="text")
    result = await jmap.ok("Note/get", ids=None)
    assert result["accountId"] == jmap.account_id
    assert sorted(n["id"] for n in result["list"]) == sorted([a, b])
    for note in result["list"]:
        assert set(note) == ALL_PROPERTIES
    by_id = {n["id"]: n for n in result["list"]}
    assert by_id[b]["body"] == "text"
    assert by_id[a]["parentId"] is None and by_id[a]["tags"] == {}
    assert result["notFound"] == []


async def test_unknown_ids_are_not_found(jmap: Jmap) -> None:
    a = await jmap.create()
    result = await jmap.ok("Note/get", ids=[a, "nope", "not/an/id"])
    assert [n["id"] for n in result["list"]] == [a]
    assert result["notFound"] == ["nope", "not/an/id"]


async def test_duplicate_ids_are_answered_once(jmap: Jmap) -> None:
    a = await jmap.create()
    result = await jmap.ok("Note/get", ids=[a, a, "gone", "gone"])
    assert [n["id"] for n in result["list"]] == [a]
    assert result["notFound"] == ["gone"]


async def test_empty_ids_return_empty_list_and_state(jmap: Jmap) -> None:
    await jmap.create()
    result = await jmap.ok("Note/get", ids=[])
    assert result["list"] == [] and result["notFound"] == []
    assert isinstance(result["state"], str) and result["state"]


async def test_properties_filter_always_returns_id(jmap: Jmap) -> None:
    a = await jmap.create(title="t", body="b")
    result = await jmap.ok("Note/get", ids=[a], properties=["title"])
    assert result["list"] == [{"id": a, "title": "t"}]


async def test_unknown_property_is_invalid_arguments(jmap: Jmap) -> None:
    error = await jmap.error("Note/get", ids=None, properties=["title", "colour"])
    assert error["type"] == "invalidArguments"


async def test_too_many_ids_is_request_too_large(jmap: Jmap) -> None:
    error = await jmap.error("Note/get", ids=[f"id{i}" for i in range(21)])
    assert error["type"] == "requestTooLarge"


async def test_ids_null_over_max_objects_in_get_is_request_too_large(jmap: Jmap) -> None:
    await jmap.ok("Note/set", create={f"c{i}": {"title": str(i)} for i in range(20)})
    await jmap.create(account_id=None, title="21st")
    error = await jmap.error("Note/get", ids=None)
    assert error["type"] == "requestTooLarge"


async def test_creation_id_reference_in_ids_resolves(jmap: Jmap) -> None:
    response = await jmap.request(
        [
            ["Note/set", {"accountId": jmap.account_id, "create": {"n1": {"title": "x"}}}, "0"],
            ["Note/get", {"accountId": jmap.account_id, "ids": ["#n1", "#unknown"]}, "1"],
        ]
    )
    created = response["methodResponses"][0][1]["created"]["n1"]["id"]
    get = response["methodResponses"][1][1]
    assert [n["id"] for n in get["list"]] == [created]
    assert get["notFound"] == ["#unknown"]


async def test_state_is_unchanged_without_writes_and_changes_after(jmap: Jmap) -> None:
    first = await jmap.state()
    assert await jmap.state() == first
    await jmap.create()
    assert await jmap.state() != first


async def test_unknown_account_is_account_not_found(jmap: Jmap) -> None:
    error = await jmap.error("Note/get", accountId="nobody", ids=None)
    assert error["type"] == "accountNotFound"


async def test_wrong_argument_types_are_invalid_arguments(jmap: Jmap) -> None:
    assert (await jmap.error("Note/get", ids="a"))["type"] == "invalidArguments"
    assert (await jmap.error("Note/get", ids=[1]))["type"] == "invalidArguments"
    assert (await jmap.error("Note/get", ids=None, properties="title"))[
        "type"
    ] == "invalidArguments"


async def test_unknown_argument_is_invalid_arguments(jmap: Jmap) -> None:
    error = await jmap.error("Note/get", ids=None, colour="red")
    assert error["type"] == "invalidArguments"
