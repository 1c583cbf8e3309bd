"""Pieces every standard method shares: argument checking (invalidArguments), the account a call
addresses, creation-id resolution and turning stored records into full JMAP objects."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from satchel.core.context import RequestContext
from satchel.core.datatype import (
    MAX_INT,
    DataType,
    IdResolver,
    Invalid,
    Property,
    Validator,
    is_id,
)
from satchel.core.errors import MethodError, invalid_arguments
from satchel.store.base import Account, Record

JsonObject = dict[str, Any]


class Args:
    """Typed access to a method's arguments; every misuse is `invalidArguments`."""

    def __init__(self, args: JsonObject, known: Iterable[str], extra: Mapping[str, Validator]):
        if not isinstance(args, dict):
            raise invalid_arguments("arguments must be an object")
        allowed = set(known) | set(extra)
        unknown = sorted(k for k in args if k not in allowed)
        if unknown:
            raise MethodError(
                "invalidArguments", f"unknown arguments: {', '.join(unknown)}", arguments=unknown
            )
        self.raw = args
        self.extra: JsonObject = {}
        for name, validator in extra.items():
            if name in args:
                try:
                    self.extra[name] = validator(args[name], lambda cid: None)
                except Invalid as exc:
                    raise invalid_arguments(f"{name}: {exc}") from None

    def present(self, name: str) -> bool:
        return self.raw.get(name) is not None

    def string(self, name: str, *, required: bool = False) -> str | None:
        value = self._get(name, required)
        if value is not None and not isinstance(value, str):
            raise invalid_arguments(f"{name} must be a String")
        return value

    def required_string(self, name: str) -> str:
        value = self.string(name, required=True)
        assert value is not None
        return value

    def boolean(self, name: str, default: bool) -> bool:
        value = self._get(name, False)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise invalid_arguments(f"{name} must be a Boolean")
        return value

    def integer(self, name: str, default: int | None, *, minimum: int = -MAX_INT) -> int | None:
        value = self._get(name, False)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= MAX_INT:
            raise invalid_arguments(f"{name} must be an integer >= {minimum}")
        return value

    def obj(self, name: str) -> JsonObject | None:
        value = self._get(name, False)
        if value is not None and not isinstance(value, dict):
            raise invalid_arguments(f"{name} must be an object or null")
        return value

    def str_list(self, name: str) -> list[str] | None:
        value = self._get(name, False)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise invalid_arguments(f"{name} must be a String[] or null")
        return value

    def _get(self, name: str, required: bool) -> Any:
        value = self.raw.get(name)
        if value is None and required:
            raise invalid_arguments(f"{name} is required")
        return value


def method_account(
    ctx: RequestContext, datatype: DataType, account_id: object, *, write: bool = False
) -> Account:
    """The account a call addresses; it must carry the type's capability
    (RFC 8620 section 3.6.2: accountNotSupportedByMethod)."""
    account = ctx.writable_account(account_id) if write else ctx.account(account_id)
    if not supports(ctx, datatype, account):
        raise MethodError(
            "accountNotSupportedByMethod", f"account does not support {datatype.name}"
        )
    return account


def supports(ctx: RequestContext, datatype: DataType, account: Account) -> bool:
    capability = ctx.registry.capabilities.get(datatype.capability)
    return capability is None or capability.account_value(account) is not None


def resolver(*maps: Mapping[str, str]) -> IdResolver:
    """Resolve a creation id through the given maps, most recent first."""

    def resolve(creation_id: str) -> str | None:
        for created in maps:
            if creation_id in created:
                return created[creation_id]
        return None

    return resolve


def resolve_id(value: str, resolve: IdResolver) -> str | None:
    """An id argument that may be a "#creationId" reference; None when it cannot resolve."""
    if value.startswith("#"):
        return resolve(value[1:])
    return value if is_id(value) else None


def full_object(
    datatype: DataType, record: Record, names: Sequence[str] | None = None
) -> JsonObject:
    """Every declared property, `id` included: unset ones take their default or null
    (clients depend on every property being present). With `names`, only those of them (and
    `id`)."""
    obj: JsonObject = {"id": record.id}
    data = record.data
    plan = _defaults(datatype.properties)
    chosen = plan.items() if names is None else ((n, plan[n]) for n in names if n in plan)
    for name, (default, copier) in chosen:
        if name in data:
            obj[name] = data[name]
        else:
            obj[name] = default if copier is None else copier(default)
    return obj


_SCALARS = (str, int, float, bool, type(None))
# What an unset property becomes: its default (None when it has none) and how to copy it so the
# caller may change it (None: share it, a scalar).
_Default = tuple[Any, Callable[[Any], Any] | None]
_plans: dict[int, tuple[Mapping[str, Property], dict[str, _Default]]] = {}


def _defaults(declared: Mapping[str, Property]) -> dict[str, _Default]:
    """Each property's default and copier, worked out once per data type: objects are built
    for every /get, /query filter and /set, and most properties fall back to a default."""
    cached = _plans.get(id(declared))
    # The entry holds the mapping itself, so its id cannot be reused while the entry exists.
    if cached is not None and cached[0] is declared:
        return cached[1]
    plan = {
        name: (prop.default, _copier(prop.default)) if prop.has_default() else (None, None)
        for name, prop in declared.items()
    }
    _plans[id(declared)] = (declared, plan)
    return plan


def _copier(value: Any) -> Callable[[Any], Any] | None:
    """Scalars are shared, flat containers copied shallowly (far cheaper than deepcopy),
    anything deeper copied deeply."""
    if isinstance(value, _SCALARS):
        return None
    if isinstance(value, dict) and all(isinstance(v, _SCALARS) for v in value.values()):
        return dict
    if isinstance(value, list) and all(isinstance(v, _SCALARS) for v in value):
        return list
    return copy.deepcopy


def stored_data(obj: JsonObject) -> JsonObject:
    """What the store keeps for an object: everything but `id`."""
    return {k: v for k, v in obj.items() if k != "id"}
