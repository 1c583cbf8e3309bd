"""The query vocabulary of RFC 8620 section 5.5 shared by /query and /queryChanges: parsing
FilterOperator vs FilterCondition and Comparators, evaluating filters, sorting with the advertised
collations, and running the generic in-memory query (or the type's own), whole or windowed."""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable, Collection
from typing import Any, Final

from satchel.core.datatype import (
    Comparator,
    DataType,
    FilterCondition,
    FilterNode,
    FilterOperator,
    GetScope,
    Invalid,
    QueryPage,
    QueryScope,
    QueryWindow,
    no_refs,
)
from satchel.core.errors import MethodError, invalid_arguments
from satchel.core.standard.common import full_object

JsonObject = dict[str, Any]

_OPERATORS: Final = ("AND", "OR", "NOT")
MAX_FILTER_DEPTH: Final = 50


# --- collations (RFC 4790 registry; advertised in the core capability) --------------------------


def _ascii_numeric(value: str) -> tuple[int, int]:
    # RFC 4790 section 9.1: a leading run of digits compares as a number; a string without one
    # is greater than every number, and equal to any other such string.
    digits = len(value) - len(value.lstrip("0123456789"))
    return (0, int(value[:digits])) if digits else (1, 0)


_ASCII_UPPER: Final = {c: c - 32 for c in range(ord("a"), ord("z") + 1)}


def _ascii_casemap(value: str) -> bytes:
    # RFC 4790 section 9.2: a-z fold to A-Z, then octets compare.
    return value.translate(_ASCII_UPPER).encode("utf-8")


def _unicode_casemap(value: str) -> str:
    # RFC 5051: titlecase each character, then decompose (NFKD); casefold approximates titlecase
    # folding for comparison purposes.
    return unicodedata.normalize("NFKD", value.casefold())


COLLATIONS: Final[dict[str, Callable[[str], Any]]] = {
    "i;ascii-numeric": _ascii_numeric,
    "i;ascii-casemap": _ascii_casemap,
    "i;unicode-casemap": _unicode_casemap,
}
DEFAULT_COLLATION: Final = "i;unicode-casemap"


# --- parsing ------------------------------------------------------------------------------------


def parse_filter(datatype: DataType, raw: Any, depth: int = 0) -> FilterNode | None:
    """A filter argument: a FilterOperator has `operator`; anything else is a FilterCondition.
    Malformed -> invalidArguments; unknown condition -> unsupportedFilter."""
    if raw is None and depth == 0:
        return None
    if not isinstance(raw, dict):
        raise invalid_arguments("a filter must be a FilterOperator or FilterCondition object")
    if depth > MAX_FILTER_DEPTH:
        raise MethodError("unsupportedFilter", "filter nested too deeply")
    if "operator" in raw:
        operator, conditions = raw["operator"], raw.get("conditions")
        if set(raw) - {"operator", "conditions"}:
            raise invalid_arguments("a FilterOperator has only operator and conditions")
        if operator not in _OPERATORS:
            raise invalid_arguments(f"filter operator must be one of {', '.join(_OPERATORS)}")
        if not isinstance(conditions, list):
            raise invalid_arguments("FilterOperator conditions must be an array")
        nodes = []
        for item in conditions:
            node = parse_filter(datatype, item, depth + 1)
            assert node is not None
            nodes.append(node)
        return FilterOperator(operator, tuple(nodes))
    values: dict[str, Any] = {}
    for name, arg in raw.items():
        spec = datatype.filters.get(name)
        if spec is None:
            raise MethodError("unsupportedFilter", f"{datatype.name} cannot filter on {name!r}")
        try:
            values[name] = spec.argument(arg, no_refs)
        except Invalid as exc:
            raise invalid_arguments(f"filter {name}: {exc}") from None
    return FilterCondition(values)


def parse_sort(
    datatype: DataType, raw: Any, advertised: Collection[str] = tuple(COLLATIONS)
) -> list[Comparator]:
    """The sort argument: malformed -> invalidArguments; a property the type cannot sort on or a
    collation not advertised in the Session -> unsupportedSort."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise invalid_arguments("sort must be an array of Comparators or null")
    comparators = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("property"), str):
            raise invalid_arguments("a Comparator is an object with a String property")
        ascending = item.get("isAscending", True)
        collation = item.get("collation", DEFAULT_COLLATION)
        if not isinstance(ascending, bool):
            raise invalid_arguments("isAscending must be a Boolean")
        if not isinstance(collation, str):
            raise invalid_arguments("collation must be a String")
        if item["property"] not in datatype.sorts:
            raise MethodError("unsupportedSort", f"cannot sort on {item['property']!r}")
        if collation not in COLLATIONS or collation not in advertised:
            raise MethodError("unsupportedSort", f"unknown collation {collation!r}")
        extra = {k: v for k, v in item.items() if k not in ("property", "isAscending", "collation")}
        comparators.append(Comparator(item["property"], ascending, collation, extra))
    return comparators


def is_immutable(datatype: DataType, node: FilterNode | None, sort: list[Comparator]) -> bool:
    """True when filter and sort read only immutable data (RFC 8620 section 5.6: upToId)."""
    return _filter_immutable(datatype, node) and all(
        datatype.sorts[c.property].immutable for c in sort
    )


def _filter_immutable(datatype: DataType, node: FilterNode | None) -> bool:
    if node is None:
        return True
    if isinstance(node, FilterOperator):
        return all(_filter_immutable(datatype, n) for n in node.conditions)
    return all(datatype.filters[name].immutable for name in node.conditions)


# --- evaluation ---------------------------------------------------------------------------------


def matches(datatype: DataType, node: FilterNode, obj: JsonObject) -> bool:
    if isinstance(node, FilterOperator):
        results = (matches(datatype, n, obj) for n in node.conditions)
        if node.operator == "AND":
            return all(results)
        if node.operator == "OR":
            return any(results)
        return not any(results)  # NOT: none of the conditions match
    return all(datatype.filters[name].match(obj, arg) for name, arg in node.conditions.items())


def _compare(a: Any, b: Any) -> int:
    # Null sorts first; then by type (section 5.5: false < true, numbers, dates as strings).
    if a is None or b is None:
        return int(a is not None) - int(b is not None)
    try:
        return int(a > b) - int(a < b)
    except TypeError:
        x, y = type(a).__name__, type(b).__name__
        return int(x > y) - int(x < y)


def _compare_first(a: tuple[Any, JsonObject], b: tuple[Any, JsonObject]) -> int:
    return _compare(a[0], b[0])


_BY_FIRST: Final = functools.cmp_to_key(_compare_first)


def _sort_key(
    comparator: Comparator, extract: Callable[[JsonObject], Any] | None
) -> Callable[[JsonObject], Any]:
    name = comparator.property
    collate = COLLATIONS[comparator.collation]

    def key(obj: JsonObject) -> Any:
        value = extract(obj) if extract is not None else obj.get(name)
        return collate(value) if isinstance(value, str) else value

    return key


def sort_objects(
    datatype: DataType, objects: list[JsonObject], sort: list[Comparator]
) -> list[JsonObject]:
    """Sort by the comparators; ties (and no sort at all) fall back to id, so the order is
    stable between calls (section 5.5)."""
    result = sorted(objects, key=lambda o: str(o["id"]))
    for comparator in reversed(sort):
        key = _sort_key(comparator, datatype.sorts[comparator.property].key)
        keyed = [(key(o), o) for o in result]
        keyed.sort(key=_BY_FIRST, reverse=not comparator.is_ascending)
        result = [o for _, o in keyed]
    return result


def run_query(
    datatype: DataType, scope: QueryScope, node: FilterNode | None, sort: list[Comparator]
) -> list[str]:
    """Every matching id, sorted: the type's own query if it has one, else in memory."""
    if datatype.hooks.query is not None:
        return datatype.hooks.query(scope, node, sort)
    return generic_query(datatype, scope, node, sort)


def run_query_window(
    datatype: DataType,
    scope: QueryScope,
    node: FilterNode | None,
    sort: list[Comparator],
    window: QueryWindow,
) -> QueryPage:
    """The window /query returns: the type's `query_window` if it has one, else the full sorted
    list (`run_query`) windowed here."""
    if datatype.hooks.query_window is not None:
        return datatype.hooks.query_window(scope, node, sort, window)
    return window_of(run_query(datatype, scope, node, sort), window)


def window_of(ids: list[str], window: QueryWindow) -> QueryPage:
    """Section 5.5 over the full sorted list: the start is the anchor's index + anchorOffset, or
    `position` (negative: counted from the end), clamped at 0; then at most `limit` ids."""
    total = len(ids) if window.calculate_total else None
    if window.anchor is not None:
        try:
            index = ids.index(window.anchor)
        except ValueError:
            return QueryPage([], 0, total, anchor_found=False)
        start = max(index + window.anchor_offset, 0)
    elif window.position < 0:
        start = max(len(ids) + window.position, 0)
    else:
        start = window.position
    return QueryPage(ids[start : start + window.limit], start, total)


def generic_query(
    datatype: DataType, scope: QueryScope, node: FilterNode | None, sort: list[Comparator]
) -> list[str]:
    """The in-memory query over every record (with `on_get` properties): filter, then sort.
    A custom query hook may call it and post-process (e.g. Mailbox's sortAsTree)."""
    records = scope.txn.get_records(scope.account_id, datatype.name, None)
    objects = [full_object(datatype, r) for r in records]
    if datatype.hooks.on_get is not None:
        get_scope = GetScope(scope.txn, scope.account_id, {}, None)
        datatype.hooks.on_get(get_scope, objects)
    if node is not None:
        objects = [o for o in objects if matches(datatype, node, o)]
    return [o["id"] for o in sort_objects(datatype, objects, sort)]
