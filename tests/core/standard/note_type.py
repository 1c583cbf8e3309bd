"""A small data type declared only for these tests: Note, exercising every kind of declaration
(defaults, server-set, computed, immutable, references, nested maps, filters, sorts, hooks)."""

from __future__ import annotations

from typing import Any

from satchel.core.datatype import (
    AnyJson,
    Boolean,
    DataType,
    Filter,
    GetScope,
    Hooks,
    Id,
    Int,
    Property,
    SetScope,
    Sort,
    String,
    StringSet,
    UnsignedInt,
    UTCDate,
    map_of,
    nullable,
)
from satchel.core.errors import SetError
from satchel.store.base import Changes, ReadTxn, Record

NOTES = "urn:example:notes"
CREATED_AT = "2024-01-01T00:00:00Z"


def _on_create(scope: SetScope, obj: dict[str, Any]) -> dict[str, Any]:
    if obj["title"] == "refuse me":
        raise SetError("forbidden", "the hook refuses this title")
    return {"createdAt": CREATED_AT}


def _on_update(
    scope: SetScope, record_id: str, old: dict[str, Any], new: dict[str, Any]
) -> dict[str, Any]:
    return {"revision": old["revision"] + 1}


def _on_destroy(scope: SetScope, record: Record) -> None:
    # Cascade: descendants go with their parent, destroyed as they are found; a locked one
    # refuses the whole destroy after others were already written, which the per-object
    # savepoint of /set must undo.
    notes = scope.txn.get_records(scope.account_id, "Note", None)
    frontier = [record.id]
    while frontier:
        children = [n for n in notes if n.data.get("parentId") in frontier]
        for note in children:
            if "locked" in note.data.get("tags", {}):
                raise SetError("forbidden", "locked notes cannot be destroyed")
            scope.txn.destroy_record("Note", note.id)
        frontier = [n.id for n in children]
    if "locked" in record.data.get("tags", {}):
        raise SetError("forbidden", "locked notes cannot be destroyed")


def _on_get(scope: GetScope, objects: list[dict[str, Any]]) -> None:
    children: dict[str, int] = {}
    for record in scope.txn.get_records(scope.account_id, "Note", None):
        parent = record.data.get("parentId")
        if parent is not None:
            children[parent] = children.get(parent, 0) + 1
    for obj in objects:
        obj["childCount"] = children.get(obj["id"], 0)
        if scope.properties is not None and "titleUpper" in scope.properties:
            obj["titleUpper"] = obj["title"].upper()


def _on_changes(txn: ReadTxn, account_id: str, since: int, changes: Changes) -> dict[str, Any]:
    return {"changedCount": len(changes.created) + len(changes.updated)}


def _text(obj: dict[str, Any], arg: str) -> bool:
    return arg.casefold() in (obj["title"] + " " + obj["body"]).casefold()


NOTE = DataType(
    name="Note",
    capability=NOTES,
    properties={
        "title": Property(String, required_on_create=True),
        "body": Property(String, default=""),
        "done": Property(Boolean, default=False),
        "priority": Property(Int, default=0),
        "tags": Property(StringSet, default={}),
        "meta": Property(map_of(String, AnyJson), default={}),
        "parentId": Property(Id, nullable=True, ref="Note"),
        "kind": Property(String, default="plain", immutable=True),
        "createdAt": Property(UTCDate, server_set=True),
        "revision": Property(UnsignedInt, server_set=True, default=0),
        "childCount": Property(UnsignedInt, server_set=True, default=0),  # computed by on_get
        "due": Property(nullable(UTCDate), nullable=True),
    },
    filters={
        "text": Filter(String, _text),
        "done": Filter(Boolean, lambda obj, arg: obj["done"] is arg),
        "hasTag": Filter(String, lambda obj, arg: arg in obj["tags"]),
        "parentId": Filter(nullable(Id), lambda obj, arg: obj["parentId"] == arg),
        "kind": Filter(String, lambda obj, arg: obj["kind"] == arg, immutable=True),
        "minPriority": Filter(Int, lambda obj, arg: obj["priority"] >= arg),
    },
    sorts={
        "title": Sort(),
        "priority": Sort(),
        "done": Sort(),
        "kind": Sort(immutable=True),
        "createdAt": Sort(immutable=True),
        "childCount": Sort(),
    },
    hooks=Hooks(
        on_create=_on_create,
        on_update=_on_update,
        on_destroy=_on_destroy,
        on_get=_on_get,
        on_changes=_on_changes,
    ),
    dynamic_property=lambda name: name == "titleUpper",
    max_query_limit=50,
)
