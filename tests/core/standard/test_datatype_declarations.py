"""The declaration vocabulary of satchel.core.datatype: validators and DataType checks."""

from __future__ import annotations

from typing import Any

import pytest

from satchel.core.datatype import (
    Boolean,
    DataType,
    Date,
    Id,
    IdSet,
    Int,
    Invalid,
    Number,
    Property,
    String,
    UnsignedInt,
    UTCDate,
    Validator,
    list_of,
    no_refs,
    nullable,
    one_of,
)

GOOD: list[tuple[Validator, Any]] = [
    (String, ""),
    (Id, "a-Z_9"),
    (Int, -(2**53) + 1),
    (UnsignedInt, 2**53 - 1),
    (Number, 1.5),
    (Boolean, False),
    (Date, "2014-10-30T14:12:00+08:00"),
    (Date, "2014-10-30T06:12:00.5Z"),
    (UTCDate, "2014-10-30T06:12:00Z"),
    (nullable(String), None),
    (list_of(Int), [1, 2]),
    (IdSet, {"a": True}),
    (one_of("a", "b"), "b"),
]

BAD: list[tuple[Validator, Any]] = [
    (String, 1),
    (Id, ""),
    (Id, "a" * 256),
    (Id, "has space"),
    (Id, "a/b"),
    (Int, True),
    (Int, 2**53),
    (Int, 1.0),
    (UnsignedInt, -1),
    (Number, float("nan")),
    (Boolean, 0),
    (Date, "2014-10-30 14:12:00Z"),
    (Date, "2014-10-30t14:12:00z"),
    (Date, "2014-10-30T14:12:00.000Z"),  # zero fractional seconds must be omitted
    (UTCDate, "2014-10-30T14:12:00+08:00"),
    (list_of(Int), [1, "2"]),
    (IdSet, {"a": False}),
    (IdSet, ["a"]),
    (one_of(1, 2), True),
]


@pytest.mark.parametrize(("validator", "value"), GOOD)
def test_valid_values_pass(validator: Validator, value: Any) -> None:
    assert validator(value, no_refs) == value


@pytest.mark.parametrize(("validator", "value"), BAD)
def test_invalid_values_raise_invalid(validator: Validator, value: Any) -> None:
    with pytest.raises(Invalid):
        validator(value, no_refs)


def test_id_resolves_creation_ids_including_set_keys() -> None:
    created = {"c1": "REAL1"}
    assert Id("#c1", created.get) == "REAL1"
    assert IdSet({"#c1": True, "x": True}, created.get) == {"REAL1": True, "x": True}
    with pytest.raises(Invalid):
        Id("#c2", created.get)


def test_property_null_only_when_nullable() -> None:
    assert Property(String, nullable=True).validate(None, no_refs) is None
    with pytest.raises(Invalid):
        Property(String).validate(None, no_refs)


def test_declaring_id_or_unknown_method_is_refused() -> None:
    with pytest.raises(ValueError):
        DataType("Foo", "urn:x", {"id": Property(Id)})
    with pytest.raises(ValueError):
        DataType("Foo", "urn:x", {}, methods=frozenset({"get", "frobnicate"}))
