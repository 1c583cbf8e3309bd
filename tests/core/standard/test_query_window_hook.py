"""The optional `query_window` hook: a type may answer /query's window itself (e.g. in SQL);
the engine keeps RFC 8620 section 5.5's argument checks, limit cap and anchorNotFound, and
/queryChanges keeps the full-list query."""

from __future__ import annotations

import dataclasses

from jmap_client import Jmap
from note_type import NOTE, NOTES

from satchel.core.datatype import (
    Comparator,
    FilterNode,
    QueryPage,
    QueryScope,
    QueryWindow,
)
from satchel.core.registry import Capability, Registry
from satchel.core.standard.querying import generic_query, window_of
from satchel.core.standard.register import register_type


class Windowed:
    """A Note type whose /query window comes from the hook; records what it was asked."""

    def __init__(self, jmap: Jmap, *, drop_total: bool = False) -> None:
        self.windows: list[QueryWindow] = []
        self.drop_total = drop_total
        hooks = dataclasses.replace(NOTE.hooks, query_window=self.hook)
        jmap.registry = Registry()
        jmap.registry.add_capability(Capability(NOTES))
        register_type(jmap.registry, dataclasses.replace(NOTE, hooks=hooks))

    def hook(
        self,
        scope: QueryScope,
        node: FilterNode | None,
        sort: list[Comparator],
        window: QueryWindow,
    ) -> QueryPage:
        self.windows.append(window)
        page = window_of(generic_query(NOTE, scope, node, sort), window)
        return dataclasses.replace(page, total=None) if self.drop_total else page


async def test_query_uses_the_window_hook_with_validated_arguments(jmap: Jmap) -> None:
    made = [await jmap.create(title=t) for t in "abcde"]
    windowed = Windowed(jmap)
    by_title = [{"property": "title"}]
    result = await jmap.ok(
        "Note/query", sort=by_title, position=-2, limit=1000, calculateTotal=True
    )
    assert windowed.windows == [QueryWindow(-2, 50, None, 0, True)]  # capped to max_query_limit
    assert (result["ids"], result["position"], result["total"]) == (made[3:], 3, 5)
    assert result["limit"] == 50
    anchored = await jmap.ok("Note/query", sort=by_title, anchor=made[1], anchorOffset=-5, limit=2)
    assert windowed.windows[-1] == QueryWindow(0, 2, made[1], -5, False)
    assert (anchored["ids"], anchored["position"]) == (made[:2], 0)
    assert "total" not in anchored and "limit" not in anchored


async def test_anchor_not_found_from_the_hook(jmap: Jmap) -> None:
    a = await jmap.create(title="a", done=True)
    await jmap.create(title="b")
    windowed = Windowed(jmap)
    error = await jmap.error("Note/query", filter={"done": False}, anchor=a)
    assert error["type"] == "anchorNotFound"
    assert len(windowed.windows) == 1


async def test_query_changes_keeps_the_full_list_query(jmap: Jmap) -> None:
    state = (await jmap.ok("Note/query"))["queryState"]
    windowed = Windowed(jmap)
    made = await jmap.create(title="new")
    changes = await jmap.ok("Note/queryChanges", sinceQueryState=state, calculateTotal=True)
    assert changes["added"] == [{"id": made, "index": 0}] and changes["total"] == 1
    assert windowed.windows == []


async def test_hook_without_the_asked_total_is_a_server_failure(jmap: Jmap) -> None:
    await jmap.create(title="a")
    Windowed(jmap, drop_total=True)
    assert (await jmap.error("Note/query", calculateTotal=True))["type"] == "serverFail"
    assert (await jmap.ok("Note/query"))["ids"]
