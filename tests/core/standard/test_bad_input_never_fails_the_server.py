"""Arbitrary JSON in any argument of any standard method gets a JMAP answer (a response or a
method error), never serverFail, and a refused /set leaves the data as it was."""

from __future__ import annotations

import random
from typing import Any

from jmap_client import Jmap

NAMES = [
    "title",
    "body",
    "done",
    "tags",
    "meta",
    "parentId",
    "kind",
    "id",
    "revision",
    "x",
    "operator",
    "conditions",
    "property",
]
NAMES += ["a/b", "tags/x", "meta/y/z", "#c0", "~", ""]


def junk(rng: random.Random, depth: int = 0) -> Any:
    choice = rng.randrange(9 if depth < 3 else 6)
    if choice == 0:
        return None
    if choice == 1:
        return rng.choice([True, False])
    if choice == 2:
        return rng.choice([0, -1, 1, 2**53, 2**60, 1.5, -0.0])
    if choice == 3:
        return rng.choice(["", "a", "#c0", "AND", "NOT", "2024-01-01T00:00:00Z", "x" * 300])
    if choice in (4, 5):
        return rng.choice(NAMES)
    if choice == 6:
        return [junk(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {rng.choice(NAMES): junk(rng, depth + 1) for _ in range(rng.randrange(4))}


def junk_object(rng: random.Random) -> dict[str, Any]:
    return {rng.choice(NAMES): junk(rng, 1) for _ in range(rng.randrange(1, 5))}


def junk_filter(rng: random.Random, depth: int = 0) -> Any:
    if depth < 3 and rng.random() < 0.4:
        operator = rng.choice(["AND", "OR", "NOT", "AND", "XOR"])
        conditions = [junk_filter(rng, depth + 1) for _ in range(rng.randrange(3))]
        return {"operator": operator, "conditions": conditions}
    names = ["text", "done", "hasTag", "parentId", "kind", "minPriority", "x"]
    return {rng.choice(names): junk(rng, 2) for _ in range(rng.randrange(1, 3))}


def junk_sort(rng: random.Random) -> list[Any]:
    names = ["title", "priority", "done", "kind", "createdAt", "body"]
    collations = ["i;ascii-numeric", "i;ascii-casemap", "i;unicode-casemap", "i;octet"]
    comparators: list[Any] = []
    for _ in range(rng.randrange(3)):
        comparator: dict[str, Any] = {"property": rng.choice(names)}
        if rng.random() < 0.5:
            comparator["isAscending"] = rng.choice([True, False, 1])
        if rng.random() < 0.5:
            comparator["collation"] = rng.choice(collations)
        comparators.append(comparator)
    return comparators


def arguments(rng: random.Random, method: str, ids: list[str], state: str) -> dict[str, Any]:
    """Arguments of roughly the right shape with junk inside, and sometimes junk outright."""
    some_ids = [rng.choice([*ids, "#c0", "#c1", "nope"]) for _ in range(rng.randrange(4))]
    args: dict[str, Any] = {
        "Note/get": lambda: {"ids": some_ids, "properties": rng.sample(NAMES[:9], 3)},
        "Note/changes": lambda: {"sinceState": state, "maxChanges": rng.randrange(-1, 4)},
        "Note/set": lambda: {
            "create": {f"c{i}": {"title": "t", **junk_object(rng)} for i in range(3)},
            "update": {i: junk_object(rng) for i in some_ids},
            "destroy": some_ids if rng.random() < 0.2 else [],
        },
        "Note/copy": lambda: {"fromAccountId": "x", "create": {"k": junk_object(rng)}},
        "Note/query": lambda: {
            "filter": junk_filter(rng),
            "sort": junk_sort(rng),
            "position": rng.randrange(-5, 5),
            "anchor": rng.choice([None, *some_ids]),
            "anchorOffset": rng.randrange(-3, 3),
            "limit": rng.choice([None, 0, 2, 1000]),
        },
        "Note/queryChanges": lambda: {
            "filter": junk_filter(rng),
            "sort": junk_sort(rng),
            "sinceQueryState": state,
            "maxChanges": rng.choice([None, 1, 100]),
            "upToId": rng.choice([None, *some_ids]),
        },
    }[method]()
    if rng.random() < 0.2:  # and now and then, junk for one argument
        args[rng.choice([*args, "accountId"])] = junk(rng)
    return args


async def test_random_arguments_never_cause_server_fail(jmap: Jmap) -> None:
    rng = random.Random(8620)
    existing = await jmap.create(title="keep", tags={"x": True})
    state = await jmap.state()
    methods = ["Note/get", "Note/changes", "Note/set", "Note/copy", "Note/query"]
    methods += ["Note/queryChanges", "Note/set", "Note/query"]
    ids = [existing]
    for round_ in range(30):
        calls = []
        for n in range(15):
            method = rng.choice(methods)
            args = {"accountId": jmap.account_id, **arguments(rng, method, ids, state)}
            calls.append([method, args, f"{round_}.{n}"])
        response = await jmap.request(calls)
        for (name, result, _), call in zip(response["methodResponses"], calls, strict=False):
            assert name != "error" or result["type"] != "serverFail", call
            if name == "Note/set":
                ids += [c["id"] for c in (result["created"] or {}).values()]
    assert len(ids) > 3  # some of the junk was valid and got created
    # Whatever was accepted, every stored note still matches its declaration.
    for note in (await jmap.ok("Note/get", ids=None))["list"]:
        assert isinstance(note["title"], str) and isinstance(note["tags"], dict)
        assert isinstance(note["done"], bool) and isinstance(note["revision"], int)
