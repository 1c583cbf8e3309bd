"""A small data type declared only for these tests: Note, exercising every kind of declaration
(defaults, server-set, immutable, references, nested maps, filters, sorts and hooks)."""

from __future__ import annotations

from typing import Any

from satchel.core.datatype import (
    AnyJson,
    Boolean,
    DataType,
    Filter,
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
from satchel.store.base import Record

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
    if "locked" in record.data.get("tags", {}):
        raise SetError("forbidden", "locked notes cannot be destroyed")
    # Cascade: children go with their parent.
    for child in scope.txn.get_records(scope.account_id, "Note", None):
        if child.data.get("parentId") == record.id:
            _on_destroy(scope, child)
            scope.txn.destroy_record("Note", child.id)


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
    },
    hooks=Hooks(on_create=_on_create, on_update=_on_update, on_destroy=_on_destroy),
    max_query_limit=50,
)
