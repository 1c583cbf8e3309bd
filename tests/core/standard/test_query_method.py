"""Foo/query, RFC 8620 section 5.5, one rule per test."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from jmap_client import Jmap


async def make_notes(jmap: Jmap, *notes: dict[str, Any]) -> list[str]:
    result = await jmap.ok("Note/set", create={f"n{i}": n for i, n in enumerate(notes)})
    assert result["notCreated"] is None
    return [result["created"][f"n{i}"]["id"] for i in range(len(notes))]


async def ids(jmap: Jmap, **args: Any) -> list[str]:
    return list((await jmap.ok("Note/query", **args))["ids"])


async def test_query_without_filter_returns_all_with_state(jmap: Jmap) -> None:
    made = await make_notes(jmap, {"title": "a"}, {"title": "b"})
    result = await jmap.ok("Note/query")
    assert sorted(result["ids"]) == sorted(made)
    assert result["position"] == 0 and result["canCalculateChanges"] is True
    assert isinstance(result["queryState"], str) and "total" not in result


async def test_filter_condition(jmap: Jmap) -> None:
    a, _, c = await make_notes(
        jmap, {"title": "a", "done": True}, {"title": "b"}, {"title": "c", "done": True}
    )
    assert sorted(await ids(jmap, filter={"done": True})) == sorted([a, c])


async def test_filter_condition_properties_are_anded(jmap: Jmap) -> None:
    a, _, _ = await make_notes(
        jmap,
        {"title": "a", "done": True, "tags": {"x": True}},
        {"title": "b", "done": True},
        {"title": "c", "tags": {"x": True}},
    )
    assert await ids(jmap, filter={"done": True, "hasTag": "x"}) == [a]


async def test_filter_operators_and_or_not_nested(jmap: Jmap) -> None:
    a, b, c, d = await make_notes(
        jmap,
        {"title": "milk", "done": True},
        {"title": "eggs", "priority": 5},
        {"title": "bread"},
        {"title": "milk again", "priority": 9},
    )
    filter_ = {
        "operator": "OR",
        "conditions": [
            {"operator": "AND", "conditions": [{"text": "milk"}, {"done": True}]},
            {
                "operator": "NOT",
                "conditions": [{"minPriority": 1}, {"text": "bread"}],
            },
        ],
    }
    assert sorted(await ids(jmap, filter=filter_)) == sorted([a])
    or_filter = {"operator": "OR", "conditions": [{"minPriority": 6}, {"text": "eggs"}]}
    assert sorted(await ids(jmap, filter=or_filter)) == sorted([b, d])
    not_filter = {"operator": "NOT", "conditions": [{"text": "milk"}]}
    assert sorted(await ids(jmap, filter=not_filter)) == sorted([b, c])


async def test_unknown_filter_condition_is_unsupported_filter(jmap: Jmap) -> None:
    error = await jmap.error("Note/query", filter={"colour": "red"})
    assert error["type"] == "unsupportedFilter"


async def test_malformed_filter_is_invalid_arguments(jmap: Jmap) -> None:
    for bad in (
        [],
        {"operator": "XOR", "conditions": []},
        {"operator": "AND", "conditions": {}},
        {"operator": "AND", "conditions": ["x"]},
        {"done": "yes"},
    ):
        error = await jmap.error("Note/query", filter=bad)
        assert error["type"] == "invalidArguments", bad


async def test_sort_by_property_ascending_and_descending(jmap: Jmap) -> None:
    low, high, mid = await make_notes(
        jmap,
        {"title": "x", "priority": 1},
        {"title": "y", "priority": 10},
        {"title": "z", "priority": 5},
    )
    assert await ids(jmap, sort=[{"property": "priority"}]) == [low, mid, high]
    descending = [{"property": "priority", "isAscending": False}]
    assert await ids(jmap, sort=descending) == [high, mid, low]


async def test_sort_comparators_chain_on_ties(jmap: Jmap) -> None:
    a, b, c = await make_notes(
        jmap,
        {"title": "b", "done": True},
        {"title": "a", "done": True},
        {"title": "c", "done": False},
    )
    sort = [{"property": "done"}, {"property": "title"}]
    assert await ids(jmap, sort=sort) == [c, b, a]


async def test_booleans_sort_false_first(jmap: Jmap) -> None:
    yes, no = await make_notes(jmap, {"title": "1", "done": True}, {"title": "2"})
    assert await ids(jmap, sort=[{"property": "done"}]) == [no, yes]


@pytest.mark.parametrize(
    ("collation", "titles", "expected"),
    [
        ("i;unicode-casemap", ["b", "Á", "a", "C"], ["a", "Á", "b", "C"]),
        ("i;ascii-casemap", ["b", "B2", "a", "C"], ["a", "b", "B2", "C"]),
        ("i;ascii-numeric", ["10", "9", "x", "100"], ["9", "10", "100", "x"]),
    ],
)
async def test_collations(
    jmap: Jmap, collation: str, titles: list[str], expected: list[str]
) -> None:
    made = await make_notes(jmap, *({"title": t} for t in titles))
    title_of = dict(zip(made, titles, strict=True))
    sort = [{"property": "title", "collation": collation}]
    assert [title_of[i] for i in await ids(jmap, sort=sort)] == expected


async def test_unknown_sort_property_or_collation_is_unsupported_sort(jmap: Jmap) -> None:
    assert (await jmap.error("Note/query", sort=[{"property": "body"}]))[
        "type"
    ] == "unsupportedSort"
    bad_collation = [{"property": "title", "collation": "i;octet"}]
    assert (await jmap.error("Note/query", sort=bad_collation))["type"] == "unsupportedSort"
    assert (await jmap.error("Note/query", sort=[{"isAscending": True}]))[
        "type"
    ] == "invalidArguments"


async def test_default_order_is_stable_between_calls(jmap: Jmap) -> None:
    await make_notes(jmap, *({"title": "same"} for _ in range(6)))
    first = await ids(jmap, sort=[{"property": "title"}])
    assert await ids(jmap, sort=[{"property": "title"}]) == first
    assert await ids(jmap) == await ids(jmap)


async def sorted_five(jmap: Jmap) -> list[str]:
    return await make_notes(jmap, *({"title": t} for t in "abcde"))


async def test_position_and_limit_window(jmap: Jmap) -> None:
    made = await sorted_five(jmap)
    result = await jmap.ok(
        "Note/query", sort=[{"property": "title"}], position=1, limit=2, calculateTotal=True
    )
    assert result["ids"] == made[1:3]
    assert result["position"] == 1 and result["total"] == 5
    assert "limit" not in result


async def test_negative_position_counts_from_the_end_and_clamps(jmap: Jmap) -> None:
    made = await sorted_five(jmap)
    by_title = [{"property": "title"}]
    result = await jmap.ok("Note/query", sort=by_title, position=-2)
    assert result["ids"] == made[3:] and result["position"] == 3
    clamped = await jmap.ok("Note/query", sort=by_title, position=-50)
    assert clamped["ids"] == made and clamped["position"] == 0


async def test_position_past_the_end_is_empty_not_error(jmap: Jmap) -> None:
    await sorted_five(jmap)
    result = await jmap.ok("Note/query", position=10, calculateTotal=True)
    assert result["ids"] == [] and result["total"] == 5


async def test_anchor_with_offset(jmap: Jmap) -> None:
    made = await sorted_five(jmap)
    by_title = [{"property": "title"}]
    result = await jmap.ok(
        "Note/query", sort=by_title, anchor=made[2], anchorOffset=-1, limit=2, position=4
    )
    assert result["ids"] == made[1:3] and result["position"] == 1
    clamped = await jmap.ok("Note/query", sort=by_title, anchor=made[1], anchorOffset=-5)
    assert clamped["position"] == 0 and clamped["ids"] == made


async def test_anchor_not_in_results_is_anchor_not_found(jmap: Jmap) -> None:
    a, _ = await make_notes(jmap, {"title": "a", "done": True}, {"title": "b"})
    error = await jmap.error("Note/query", filter={"done": False}, anchor=a)
    assert error["type"] == "anchorNotFound"
    assert (await jmap.error("Note/query", anchor="nope"))["type"] == "anchorNotFound"


async def test_negative_limit_is_invalid_arguments(jmap: Jmap) -> None:
    assert (await jmap.error("Note/query", limit=-1))["type"] == "invalidArguments"


async def test_server_caps_limit_and_says_so(jmap: Jmap) -> None:
    result = await jmap.ok("Note/query", limit=1000)
    assert result["limit"] == 50
    unlimited = await jmap.ok("Note/query")
    assert unlimited["limit"] == 50


async def test_query_state_changes_with_the_data(jmap: Jmap) -> None:
    before = (await jmap.ok("Note/query"))["queryState"]
    assert (await jmap.ok("Note/query"))["queryState"] == before
    await jmap.create()
    assert (await jmap.ok("Note/query"))["queryState"] != before


async def test_wrong_argument_types_are_invalid_arguments(jmap: Jmap) -> None:
    for args in (
        {"position": "1"},
        {"anchorOffset": 1.5},
        {"calculateTotal": "yes"},
        {"sort": {"property": "title"}},
        {"anchor": 5},
    ):
        assert (await jmap.error("Note/query", **args))["type"] == "invalidArguments", args


async def test_collation_not_advertised_is_unsupported_sort(jmap: Jmap) -> None:
    jmap.limits = dataclasses.replace(jmap.limits, collation_algorithms=("i;unicode-casemap",))
    sort = [{"property": "title", "collation": "i;ascii-numeric"}]
    assert (await jmap.error("Note/query", sort=sort))["type"] == "unsupportedSort"
