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


ARGUMENTS = {
    "Note/get": ["ids", "properties"],
    "Note/changes": ["sinceState", "maxChanges"],
    "Note/set": ["create", "update", "destroy", "ifInState"],
    "Note/copy": ["fromAccountId", "create", "onSuccessDestroyOriginal", "ifFromInState"],
    "Note/query": ["filter", "sort", "position", "anchor", "anchorOffset", "limit"],
    "Note/queryChanges": ["filter", "sort", "sinceQueryState", "maxChanges", "upToId"],
}


async def test_random_arguments_never_cause_server_fail(jmap: Jmap) -> None:
    rng = random.Random(8620)
    existing = await jmap.create(title="keep", tags={"x": True})
    calls = []
    for n in range(400):
        method = rng.choice(list(ARGUMENTS))
        args: dict[str, Any] = {"accountId": jmap.account_id}
        for name in ARGUMENTS[method]:
            if rng.random() < 0.7:
                args[name] = junk(rng)
        if method == "Note/set" and rng.random() < 0.5:
            args["update"] = {existing: junk(rng)}
        calls.append([method, args, str(n)])
    for start in range(0, len(calls), 20):
        response = await jmap.request(calls[start : start + 20])
        for name, result, call_id in response["methodResponses"]:
            assert name != "error" or result["type"] != "serverFail", calls[int(call_id)]
    # Whatever was accepted, every stored note still matches its declaration.
    for note in (await jmap.ok("Note/get", ids=None))["list"]:
        assert isinstance(note["title"], str) and isinstance(note["tags"], dict)
        assert isinstance(note["done"], bool) and isinstance(note["revision"], int)
