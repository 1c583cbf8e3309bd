"""How a JMAP data type declares what is special about it, so the standard methods (RFC 8620
section 5) can be written once in `satchel.core.standard`.

A declaration is data: properties with their value validators and flags, filter conditions,
sort keys, the standard methods the type has, extra method arguments, and a few hooks for what a
table cannot say (refusing or cascading a destroy, computing server-set values, a custom query).
Mail, Contacts and Calendars only declare; they never fork the generic methods.

    NOTE = DataType(
        name="Note",
        capability="urn:example:notes",
        properties={
            "title": Property(String, default=""),
            "parentId": Property(Id, nullable=True, ref="Note"),
        },
        filters={"title": Filter(String, lambda obj, arg: arg in obj["title"])},
        sorts={"title": Sort()},
    )
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Protocol

if TYPE_CHECKING:
    from satchel.store.base import Changes, ReadTxn, Record, WriteTxn

JsonObject = dict[str, Any]

# ------------------------------------------------------------------------------------------------
# Value validators. A validator checks one JSON value and returns it (possibly normalised), or
# raises `Invalid`. `resolve` maps a "#creationId" reference to the id it created (RFC 8620
# section 5.3), or None when the creation id is unknown.
# ------------------------------------------------------------------------------------------------

IdResolver = Callable[[str], "str | None"]


class Invalid(ValueError):
    """A value does not match its declared type."""


class Validator(Protocol):
    def __call__(self, value: Any, resolve: IdResolver, /) -> Any: ...


def no_refs(creation_id: str) -> str | None:
    """An IdResolver for contexts where no creation id can be referenced."""
    return None


MAX_INT: Final = 2**53 - 1  # RFC 8620 section 1.3: Int is -2^53+1 .. 2^53-1
_ID_RE: Final = re.compile(r"[A-Za-z0-9_-]{1,255}")  # RFC 8620 section 1.2
# RFC 8620 section 1.4: RFC 3339 date-time, uppercase T and Z, no zero fractional seconds.
_DATE_RE: Final = re.compile(
    r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)"
    r"(\.\d*[1-9])?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)"
)


def String(value: Any, resolve: IdResolver, /) -> str:
    if not isinstance(value, str):
        raise Invalid("expected a String")
    return value


def is_id(value: object) -> bool:
    return isinstance(value, str) and _ID_RE.fullmatch(value) is not None


def Id(value: Any, resolve: IdResolver, /) -> str:
    """An Id; "#creationId" is replaced by the id created for it earlier in the request."""
    if isinstance(value, str) and value.startswith("#"):
        created = resolve(value[1:])
        if created is None:
            raise Invalid(f"unknown creation id {value}")
        return created
    if not is_id(value):
        raise Invalid("expected an Id")
    return str(value)


def Int(value: Any, resolve: IdResolver, /) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) > MAX_INT:
        raise Invalid("expected an Int")
    return value


def UnsignedInt(value: Any, resolve: IdResolver, /) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_INT:
        raise Invalid("expected an UnsignedInt")
    return value


def Number(value: Any, resolve: IdResolver, /) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise Invalid("expected a Number")
    return value


def Boolean(value: Any, resolve: IdResolver, /) -> bool:
    if not isinstance(value, bool):
        raise Invalid("expected a Boolean")
    return value


def Date(value: Any, resolve: IdResolver, /) -> str:
    if not isinstance(value, str) or _DATE_RE.fullmatch(value) is None:
        raise Invalid("expected a Date (RFC 3339)")
    return value


def UTCDate(value: Any, resolve: IdResolver, /) -> str:
    if not isinstance(value, str) or _DATE_RE.fullmatch(value) is None or value[-1] != "Z":
        raise Invalid("expected a UTCDate (RFC 3339, time-offset Z)")
    return value


def AnyJson(value: Any, resolve: IdResolver, /) -> Any:
    return value


def nullable(inner: Validator) -> Validator:
    def check(value: Any, resolve: IdResolver, /) -> Any:
        return None if value is None else inner(value, resolve)

    return check


def one_of(*allowed: object) -> Validator:
    def check(value: Any, resolve: IdResolver, /) -> Any:
        if not any(type(value) is type(a) and value == a for a in allowed):
            raise Invalid(f"expected one of {list(allowed)}")
        return value

    return check


def list_of(item: Validator) -> Validator:
    def check(value: Any, resolve: IdResolver, /) -> list[Any]:
        if not isinstance(value, list):
            raise Invalid("expected an array")
        return [item(v, resolve) for v in value]

    return check


def map_of(key: Validator, item: Validator) -> Validator:
    def check(value: Any, resolve: IdResolver, /) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise Invalid("expected an object")
        return {key(k, resolve): item(v, resolve) for k, v in value.items()}

    return check


def _true(value: Any, resolve: IdResolver, /) -> bool:
    if value is not True:
        raise Invalid("set members must map to true")
    return True


IdSet: Final[Validator] = map_of(Id, _true)  # Id[Boolean] with every value true
StringSet: Final[Validator] = map_of(String, _true)  # String[Boolean] with every value true


def ids_in(value: Any) -> list[str]:
    """The ids a (validated) Id, Id[] or Id[Boolean] value refers to, for `Property.ref` checks."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    if isinstance(value, dict):
        return list(value)
    return []


# ------------------------------------------------------------------------------------------------
# Properties
# ------------------------------------------------------------------------------------------------


class _NoDefault:
    def __repr__(self) -> str:
        return "NO_DEFAULT"


NO_DEFAULT: Final = _NoDefault()


@dataclass(frozen=True, slots=True)
class Property:
    """One property of a data type (RFC 8620 section 5: "server-set", "immutable", "default").

    A property the client omits on create takes `default`, else null when `nullable`, else the
    create fails with invalidProperties, as it does when `required_on_create`. Server-set
    properties come from the type's `on_create`/`on_update` hooks (or `default`). `ref` names the
    data type an Id / Id[] / Id[Boolean] value must point at in the same account.
    """

    type: Validator
    default: Any = NO_DEFAULT
    server_set: bool = False
    immutable: bool = False
    required_on_create: bool = False
    nullable: bool = False
    ref: str | None = None

    def has_default(self) -> bool:
        return self.default is not NO_DEFAULT

    def validate(self, value: Any, resolve: IdResolver) -> Any:
        if value is None:
            if self.nullable:
                return None
            raise Invalid("must not be null")
        return self.type(value, resolve)


# ------------------------------------------------------------------------------------------------
# /query vocabulary: filters and sorts (RFC 8620 section 5.5)
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Filter:
    """A FilterCondition property: its argument's validator and a predicate over an object (the
    object has every property, `id` included). `immutable` says the predicate reads only
    immutable data, which lets /queryChanges honour `upToId`."""

    argument: Validator
    match: Callable[[JsonObject, Any], bool]
    immutable: bool = False


@dataclass(frozen=True, slots=True)
class Sort:
    """A sortable property. `key` extracts the compared value (default: the property itself);
    strings are compared with the comparator's collation, other values by type (section 5.5)."""

    key: Callable[[JsonObject], Any] | None = None
    immutable: bool = False


@dataclass(frozen=True, slots=True)
class FilterCondition:
    """A validated FilterCondition: condition name -> validated argument."""

    conditions: dict[str, Any]


@dataclass(frozen=True, slots=True)
class FilterOperator:
    operator: str  # "AND" | "OR" | "NOT"
    conditions: tuple[FilterNode, ...]


FilterNode = FilterCondition | FilterOperator


@dataclass(frozen=True, slots=True)
class Comparator:
    property: str
    is_ascending: bool = True
    collation: str = "i;unicode-casemap"
    extra: dict[str, Any] = field(default_factory=dict)


# ------------------------------------------------------------------------------------------------
# Hooks: what a property table cannot say. They run inside the method's transaction, on the
# store's thread, so they are plain synchronous functions.
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SetScope:
    """What a /set hook may see: the write transaction, the validated extra /set arguments and
    the creation-id resolver of the request."""

    txn: WriteTxn
    account_id: str
    arguments: JsonObject
    resolve: IdResolver


@dataclass(frozen=True, slots=True)
class QueryScope:
    txn: ReadTxn
    account_id: str
    arguments: JsonObject  # validated extra /query arguments


@dataclass(frozen=True, slots=True)
class GetScope:
    """What `on_get` may see: the transaction, the validated extra /get arguments and the
    properties asked for (None: all of them; computing only those is an optimisation)."""

    txn: ReadTxn
    account_id: str
    arguments: JsonObject
    properties: frozenset[str] | None


# on_create(scope, obj) -> server-set values to add (reported in `created`); raise SetError to
# refuse. `obj` holds every non-server-set property, validated and defaulted.
OnCreate = Callable[[SetScope, JsonObject], "JsonObject | None"]
# on_update(scope, id, old, new) -> server-changed values (reported in `updated`).
OnUpdate = Callable[[SetScope, str, JsonObject, JsonObject], "JsonObject | None"]
# on_patch(scope, id, patch) -> True when the type applied this update itself (or raised the
# SetError the generic path would), for a patch it knows a cheaper way to apply with the same
# outcome; False leaves the update to the generic path (read, patch, validate, on_update, write).
OnPatch = Callable[[SetScope, str, Any], bool]
# on_destroy(scope, record): raise SetError to refuse, or destroy dependants to cascade.
OnDestroy = Callable[[SetScope, "Record"], None]
# on_get(scope, objects): fill computed (server-set) properties of full objects in place. It also
# runs before /query filters and sorts, and on the current object before a /set update compares
# server-set properties sent back by the client.
OnGet = Callable[[GetScope, list[JsonObject]], None]
# on_changes(txn, account_id, since_modseq, changes) -> extra /changes response arguments
# (e.g. Mailbox's updatedProperties, RFC 8621 section 2.2).
OnChanges = Callable[["ReadTxn", str, int, "Changes"], JsonObject]
# query(scope, filter, sort) -> every matching id, sorted: replaces the generic in-memory query.
CustomQuery = Callable[[QueryScope, "FilterNode | None", list[Comparator]], list[str]]


@dataclass(frozen=True, slots=True)
class QueryWindow:
    """The part of a /query's results the client asked for (RFC 8620 section 5.5), validated:
    `position` may be negative (counted from the end); `anchor`, when set, is resolved (no
    creation id) and wins over `position`; `limit` is the effective one, already capped to the
    type's `max_query_limit`."""

    position: int
    limit: int
    anchor: str | None
    anchor_offset: int
    calculate_total: bool


@dataclass(frozen=True, slots=True)
class QueryPage:
    """A window of a query's results. `position` is the index of `ids[0]` in the whole sorted
    list: 0 when a negative position (or anchor index + anchorOffset) falls before the start,
    and the asked position when it is past the end (then `ids` is empty). `total` is the number
    of results when calculate_total was asked, else None. An anchor not in the results gives
    anchor_found=False (the engine answers anchorNotFound)."""

    ids: list[str]
    position: int
    total: int | None
    anchor_found: bool = True


# query_window(scope, filter, sort, window) -> that window of the results, e.g. windowed in SQL.
# Optional: /query uses it when present; /queryChanges always needs every id and keeps using
# `query` (or the generic query), which must give the same order.
WindowedQuery = Callable[
    [QueryScope, "FilterNode | None", list[Comparator], QueryWindow], QueryPage
]

STANDARD_METHODS: Final = frozenset({"get", "changes", "set", "copy", "query", "queryChanges"})


@dataclass(frozen=True, slots=True)
class Hooks:
    """Optional per-type behaviour. A /set hook refuses an object by raising its SetError, at
    any point: each object runs in a savepoint, so whatever the hook wrote for it is undone and
    the other objects go on. Any other exception rolls back the whole call (serverFail)."""

    on_create: OnCreate | None = None
    on_update: OnUpdate | None = None
    on_patch: OnPatch | None = None
    on_destroy: OnDestroy | None = None
    on_get: OnGet | None = None
    on_changes: OnChanges | None = None
    query: CustomQuery | None = None
    query_window: WindowedQuery | None = None


@dataclass(frozen=True, slots=True)
class DataType:
    """A JMAP data type as the standard methods see it. `id` is implicit (server-set,
    immutable) and must not be declared."""

    name: str
    capability: str
    properties: Mapping[str, Property]
    filters: Mapping[str, Filter] = field(default_factory=dict)
    sorts: Mapping[str, Sort] = field(default_factory=dict)
    methods: frozenset[str] = STANDARD_METHODS
    get_arguments: Mapping[str, Validator] = field(default_factory=dict)
    set_arguments: Mapping[str, Validator] = field(default_factory=dict)
    query_arguments: Mapping[str, Validator] = field(default_factory=dict)
    hooks: Hooks = field(default_factory=Hooks)
    # RFC 8620 section 5.5: the server may cap `limit`; the cap is then echoed in the response.
    max_query_limit: int = 5000
    # RFC 8620 section 5.1: `ids: null` fetches all records "if this is supported".
    get_all: bool = True
    # Property names /get accepts beyond the declared ones, computed by `on_get`
    # (e.g. Email's "header:Subject:asText", RFC 8621 section 4.1.3).
    dynamic_property: Callable[[str], bool] | None = None
    # An account holds few of these (mailboxes, identities, a singleton): /get reads them on the
    # event loop (`Store.read_now`), because the hop to a reader thread costs more than the read.
    small: bool = False
    # Every object /get returns, computed properties included, is a function of the account's
    # records of this type at their state (no per-user or per-request values): /get keeps them
    # while the state stands (`ReadTxn.by_state`). A hook's computed values must move the state
    # whenever they change, as Mailbox counts do (RFC 8621 section 2.2).
    memo_get: bool = False

    def __post_init__(self) -> None:
        if "id" in self.properties:
            raise ValueError(f"{self.name}: `id` is implicit, do not declare it")
        unknown = self.methods - STANDARD_METHODS
        if unknown:
            raise ValueError(f"{self.name}: unknown standard methods {sorted(unknown)}")
