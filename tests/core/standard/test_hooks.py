"""The hooks a data type declares for what a property table cannot say: computed properties
(on_get), dynamic property names, extra /changes arguments (on_changes)."""

from __future__ import annotations

from jmap_client import Jmap


async def test_on_get_computes_properties_in_get(jmap: Jmap) -> None:
    parent = await jmap.create(title="p")
    await jmap.create(title="c1", parentId=parent)
    await jmap.create(title="c2", parentId=parent)
    got = await jmap.ok("Note/get", ids=[parent], properties=["childCount"])
    assert got["list"] == [{"id": parent, "childCount": 2}]


async def test_whole_object_with_computed_values_is_a_valid_patch(jmap: Jmap) -> None:
    parent = await jmap.create(title="p")
    await jmap.create(title="c", parentId=parent)
    whole = (await jmap.ok("Note/get", ids=[parent]))["list"][0]
    assert whole["childCount"] == 1
    whole["title"] = "renamed"
    result = await jmap.ok("Note/set", update={parent: whole})
    assert parent in result["updated"]
    whole = (await jmap.ok("Note/get", ids=[parent]))["list"][0]
    whole["childCount"] = 5
    refused = await jmap.ok("Note/set", update={parent: whole})
    assert refused["notUpdated"][parent]["properties"] == ["childCount"]


async def test_query_sorts_on_computed_property(jmap: Jmap) -> None:
    lonely = await jmap.create(title="lonely")
    busy = await jmap.create(title="busy")
    await jmap.create(title="child", parentId=busy)
    ordered = await jmap.ok("Note/query", sort=[{"property": "childCount", "isAscending": False}])
    assert ordered["ids"][0] == busy
    assert lonely in ordered["ids"][1:]


async def test_dynamic_property_is_accepted_only_when_declared(jmap: Jmap) -> None:
    a = await jmap.create(title="shout")
    got = await jmap.ok("Note/get", ids=[a], properties=["titleUpper"])
    assert got["list"] == [{"id": a, "titleUpper": "SHOUT"}]
    error = await jmap.error("Note/get", ids=[a], properties=["titleLower"])
    assert error["type"] == "invalidArguments"


async def test_on_changes_adds_response_arguments(jmap: Jmap) -> None:
    since = await jmap.state()
    a = await jmap.create()
    await jmap.create()
    await jmap.ok("Note/set", update={a: {"done": True}})
    result = await jmap.ok("Note/changes", sinceState=since)
    assert result["changedCount"] == 2
