"""Foo/queryChanges, RFC 8620 section 5.6, one rule per test. Each test checks the client's
splice algorithm: old ids, minus `removed`, plus `added` at their indexes, equal the new query."""

from __future__ import annotations

from typing import Any

from jmap_client import Jmap

from satchel.core.state import encode_state

BY_TITLE = [{"property": "title"}]


async def query(jmap: Jmap, **args: Any) -> tuple[list[str], str]:
    result = await jmap.ok("Note/query", **args)
    return list(result["ids"]), str(result["queryState"])


def splice(old: list[str], changes: dict[str, Any]) -> list[str]:
    ids = [i for i in old if i not in set(changes["removed"])]
    for item in changes["added"]:
        ids.insert(item["index"], item["id"])
    return ids


async def test_no_changes_since_current_query_state(jmap: Jmap) -> None:
    await jmap.create(title="a")
    _, state = await query(jmap)
    result = await jmap.ok("Note/queryChanges", sinceQueryState=state, calculateTotal=True)
    assert result["oldQueryState"] == result["newQueryState"] == state
    assert result["removed"] == [] and result["added"] == [] and result["total"] == 1


async def test_mutable_filter_removes_and_readds_changed_records(jmap: Jmap) -> None:
    a = await jmap.create(title="a")
    b = await jmap.create(title="b", done=True)
    c = await jmap.create(title="c")
    args: dict[str, Any] = {"filter": {"done": False}, "sort": BY_TITLE}
    old, state = await query(jmap, **args)
    assert old == [a, c]
    d = await jmap.create(title="0 first")
    await jmap.ok("Note/set", update={a: {"done": True}, b: {"done": False}}, destroy=[c])
    result = await jmap.ok("Note/queryChanges", sinceQueryState=state, **args)
    new, new_state = await query(jmap, **args)
    assert result["newQueryState"] == new_state
    assert splice(old, result) == new == [d, b]
    assert [item["index"] for item in result["added"]] == sorted(
        item["index"] for item in result["added"]
    )


async def test_mutable_sort_change_moves_record(jmap: Jmap) -> None:
    a = await jmap.create(title="a")
    b = await jmap.create(title="b")
    old, state = await query(jmap, sort=BY_TITLE)
    await jmap.ok("Note/set", update={a: {"title": "z"}})
    result = await jmap.ok("Note/queryChanges", sinceQueryState=state, sort=BY_TITLE)
    assert a in result["removed"]
    assert splice(old, result) == [b, a]


async def test_immutable_query_reports_only_creates_and_destroys(jmap: Jmap) -> None:
    args: dict[str, Any] = {"filter": {"kind": "plain"}, "sort": [{"property": "createdAt"}]}
    a = await jmap.create(title="a")
    b = await jmap.create(title="b")
    old, state = await query(jmap, **args)
    await jmap.ok("Note/set", update={a: {"title": "renamed"}}, destroy=[b])
    c = await jmap.create(title="c")
    result = await jmap.ok("Note/queryChanges", sinceQueryState=state, **args)
    assert result["removed"] == [b]
    assert [item["id"] for item in result["added"]] == [c]
    assert splice(old, result) == (await query(jmap, **args))[0]


async def test_up_to_id_omits_later_additions_on_immutable_query(jmap: Jmap) -> None:
    args: dict[str, Any] = {"filter": {"kind": "plain"}, "sort": [{"property": "kind"}]}
    first = await jmap.create(title="a")
    old, state = await query(jmap, **args)
    for t in "bcd":
        await jmap.create(title=t)
    current, _ = await query(jmap, **args)
    everything = await jmap.ok("Note/queryChanges", sinceQueryState=state, **args)
    assert splice(old, everything) == current
    up_to = current[1]
    trimmed = await jmap.ok("Note/queryChanges", sinceQueryState=state, upToId=up_to, **args)
    added = [(item["id"], item["index"]) for item in trimmed["added"]]
    assert added == [(i, n) for n, i in enumerate(current[:2]) if i != first]


async def test_up_to_id_is_ignored_on_mutable_query(jmap: Jmap) -> None:
    await jmap.create(title="a")
    _, state = await query(jmap, sort=BY_TITLE)
    b = await jmap.create(title="b")
    c = await jmap.create(title="c")
    result = await jmap.ok("Note/queryChanges", sinceQueryState=state, sort=BY_TITLE, upToId=b)
    assert {item["id"] for item in result["added"]} == {b, c}


async def test_more_changes_than_max_changes_is_too_many_changes(jmap: Jmap) -> None:
    _, state = await query(jmap)
    for t in "abc":
        await jmap.create(title=t)
    error = await jmap.error("Note/queryChanges", sinceQueryState=state, maxChanges=2)
    assert error["type"] == "tooManyChanges"
    ok = await jmap.ok("Note/queryChanges", sinceQueryState=state, maxChanges=3)
    assert len(ok["added"]) == 3


async def test_garbage_or_future_query_state_is_cannot_calculate_changes(jmap: Jmap) -> None:
    for state in ("garbage", encode_state(10_000, "Note"), encode_state(0, "Mailbox")):
        error = await jmap.error("Note/queryChanges", sinceQueryState=state)
        assert error["type"] == "cannotCalculateChanges"


async def test_total_when_asked(jmap: Jmap) -> None:
    _, state = await query(jmap)
    await jmap.create()
    with_total = await jmap.ok("Note/queryChanges", sinceQueryState=state, calculateTotal=True)
    assert with_total["total"] == 1
    without = await jmap.ok("Note/queryChanges", sinceQueryState=state)
    assert "total" not in without


async def test_bad_filter_and_sort_errors_as_in_query(jmap: Jmap) -> None:
    _, state = await query(jmap)
    assert (await jmap.error("Note/queryChanges", sinceQueryState=state, filter={"x": 1}))[
        "type"
    ] == "unsupportedFilter"
    assert (await jmap.error("Note/queryChanges", sinceQueryState=state, sort=[{"property": "x"}]))[
        "type"
    ] == "unsupportedSort"
    assert (await jmap.error("Note/queryChanges"))["type"] == "invalidArguments"
