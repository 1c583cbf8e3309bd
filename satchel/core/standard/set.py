"""Foo/set (RFC 8620 section 5.3): create, update and destroy in ONE write transaction, so the
type's state moves once; each object succeeds or fails on its own (SetError), never aborting the
others. `SetWork` is also what /copy uses to create copies and the implicit destroy /set."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from satchel.core.context import RequestContext
from satchel.core.datatype import DataType, GetScope, IdResolver, Invalid, SetScope, ids_in
from satchel.core.errors import MethodError, SetError
from satchel.core.patch import apply_patch, parse_patch
from satchel.core.registry import MethodResponse
from satchel.core.standard.common import (
    Args,
    full_object,
    method_account,
    resolve_id,
    resolver,
    stored_data,
)
from satchel.core.state import check_if_in_state, encode_state
from satchel.store.base import Account, WriteTxn

JsonObject = dict[str, Any]


def _invalid(description: str, properties: Iterable[str]) -> SetError:
    return SetError("invalidProperties", description, properties=sorted(set(properties)))


def creation_refs(value: Any) -> set[str]:
    """Every "#creationId" mentioned in a value (strings and object keys)."""
    found: set[str] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if item.startswith("#"):
                found.add(item[1:])
        elif isinstance(item, dict):
            found.update(k[1:] for k in item if isinstance(k, str) and k.startswith("#"))
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def creation_order(create: dict[str, Any]) -> list[str]:
    """Creation ids ordered so a create referring to another create of the same call ("#c1")
    comes after it (RFC 8620 section 5.3). Cycles keep the client's order (and then fail)."""
    pending = {cid: creation_refs(obj) & create.keys() - {cid} for cid, obj in create.items()}
    order: list[str] = []
    done: set[str] = set()
    while pending:
        ready = [cid for cid, deps in pending.items() if deps <= done]
        if not ready:
            ready = list(pending)
        for cid in ready:
            order.append(cid)
            done.add(cid)
            del pending[cid]
    return order


@dataclass(slots=True)
class SetWork:
    """The per-object work of a /set inside its write transaction."""

    datatype: DataType
    txn: WriteTxn
    account_id: str
    arguments: JsonObject
    request_created: dict[str, str]
    created_now: dict[str, str] = field(default_factory=dict)

    @property
    def resolve(self) -> IdResolver:
        return resolver(self.created_now, self.request_created)

    def scope(self) -> SetScope:
        return SetScope(self.txn, self.account_id, self.arguments, self.resolve)

    # --- create -------------------------------------------------------------------------------
    def create(self, creation_id: str, obj: Any) -> JsonObject:
        """Create one object; returns the `created` entry (id, server-set and defaulted
        properties). Raises SetError."""
        if not isinstance(obj, dict):
            raise _invalid("the object to create must be a JSON object", [])
        props = self.datatype.properties
        resolve = self.resolve
        bad: list[str] = []
        data: JsonObject = {}
        for name, value in obj.items():
            prop = props.get(name)
            # The client MUST omit server-set properties, `id` included (section 5.3); a null
            # one is taken as omitted, for clients that send every property.
            server_set = name == "id" or (prop is not None and prop.server_set)
            if server_set and value is None:
                continue
            if prop is None or server_set:
                bad.append(name)
                continue
            try:
                data[name] = prop.validate(value, resolve)
            except Invalid:
                bad.append(name)
        reported: JsonObject = {}
        for name, prop in props.items():
            if name in obj or prop.server_set:
                continue
            if prop.required_on_create:
                bad.append(name)
            elif prop.has_default():
                data[name] = reported[name] = copy.deepcopy(prop.default)
            elif prop.nullable:
                data[name] = reported[name] = None
            else:
                bad.append(name)
        if bad:
            raise _invalid("invalid, unknown, server-set or missing properties", bad)
        self._check_refs(data, data.keys())
        server_values = self._hook_create(data)
        for name, prop in props.items():
            if name in server_values:
                data[name] = reported[name] = server_values[name]
            elif prop.server_set:
                data[name] = copy.deepcopy(prop.default) if prop.has_default() else None
        record_id = self.txn.new_id()
        self.txn.create_record(self.datatype.name, record_id, data)
        self.created_now[creation_id] = record_id
        # Section 5.3: `created` has every server-set property, as /get would show it.
        shown = self._as_shown({"id": record_id, **data})
        reported.update((n, shown[n]) for n, p in props.items() if p.server_set)
        return {"id": record_id, **reported}

    def _hook_create(self, data: JsonObject) -> JsonObject:
        hook = self.datatype.hooks.on_create
        return (hook(self.scope(), data) or {}) if hook is not None else {}

    # --- update -------------------------------------------------------------------------------
    def update(self, record_id: str, patch: Any) -> JsonObject | None:
        """Apply a PatchObject; returns the server-changed properties or None. Raises SetError."""
        fast = self.datatype.hooks.on_patch
        if fast is not None and fast(self.scope(), record_id, patch):
            return None
        records = self.txn.get_records(self.account_id, self.datatype.name, [record_id])
        if not records:
            raise SetError("notFound", f"no {self.datatype.name} {record_id}")
        old = full_object(self.datatype, records[0])
        shown = self._as_shown(old)
        props = self.datatype.properties
        entries = parse_patch(patch)
        unknown = {path[0] for path, _ in entries if path[0] != "id" and path[0] not in props}
        if unknown:
            raise _invalid("unknown properties", unknown)
        # The patch applies to the object as /get shows it (computed properties included).
        patched = apply_patch(shown, patch)
        new = patched.obj
        resolve = self.resolve
        bad: list[str] = []
        for name in patched.touched:
            if name == "id":
                if new.get("id") != old["id"]:
                    bad.append(name)
                new["id"] = old["id"]
                continue
            prop = props[name]
            if name not in new:  # set to null: back to the default (section 5.3)
                if prop.has_default():
                    new[name] = copy.deepcopy(prop.default)
                elif prop.nullable:
                    new[name] = None
                else:
                    bad.append(name)
                    continue
            # Server-set and immutable properties may be sent only with their current value.
            if prop.server_set or prop.immutable:
                if new[name] != shown[name]:
                    bad.append(name)
                continue
            try:
                new[name] = prop.validate(new[name], resolve)
            except Invalid:
                bad.append(name)
        if bad:
            raise _invalid("invalid, server-set or immutable properties", bad)
        for name, prop in props.items():  # computed values are never stored
            if prop.server_set:
                new[name] = old[name]
        self._check_refs(new, (n for n in patched.touched if n != "id"))
        changed: JsonObject = {}
        hook = self.datatype.hooks.on_update
        if hook is not None:
            changed = hook(self.scope(), record_id, old, new) or {}
            new.update(changed)
        if new != old:
            self.txn.update_record(self.datatype.name, record_id, stored_data(new))
        return changed or None

    def _as_shown(self, obj: JsonObject) -> JsonObject:
        hook = self.datatype.hooks.on_get
        if hook is None:
            return obj
        shown = copy.deepcopy(obj)
        hook(GetScope(self.txn, self.account_id, {}, None), [shown])
        return shown

    # --- destroy ------------------------------------------------------------------------------
    def destroy(self, record_id: str) -> None:
        records = self.txn.get_records(self.account_id, self.datatype.name, [record_id])
        if not records:
            raise SetError("notFound", f"no {self.datatype.name} {record_id}")
        hook = self.datatype.hooks.on_destroy
        if hook is not None:
            hook(self.scope(), records[0])
        self.txn.destroy_record(self.datatype.name, record_id)

    def _check_refs(self, obj: JsonObject, names: Iterable[str]) -> None:
        """Foreign keys must name live records (section 5.3: invalidProperties)."""
        bad = []
        for name in names:
            prop = self.datatype.properties[name]
            if prop.ref is None or obj.get(name) is None:
                continue
            wanted = set(ids_in(obj[name]))
            found = self.txn.get_records(self.account_id, prop.ref, sorted(wanted))
            if len(found) != len(wanted):
                bad.append(name)
        if bad:
            raise _invalid("references to records that do not exist", bad)


@dataclass(slots=True)
class SetOutcome:
    old_state: int
    created: dict[str, JsonObject] = field(default_factory=dict)
    updated: dict[str, JsonObject | None] = field(default_factory=dict)
    destroyed: list[str] = field(default_factory=list)
    not_created: dict[str, JsonObject] = field(default_factory=dict)
    not_updated: dict[str, JsonObject] = field(default_factory=dict)
    not_destroyed: dict[str, JsonObject] = field(default_factory=dict)
    created_ids: dict[str, str] = field(default_factory=dict)


def set_in_txn(
    work: SetWork,
    if_in_state: object,
    create: dict[str, Any],
    update: dict[str, Any],
    destroy: list[str],
) -> SetOutcome:
    """Everything a /set does inside its transaction: ifInState, then creates (in reference
    order), updates, destroys."""
    txn, name = work.txn, work.datatype.name
    old = txn.type_state(work.account_id, name).high
    check_if_in_state(if_in_state, old, name)  # RFC 8620 section 5.3: ifInState
    out = SetOutcome(old)
    # Each object runs in a savepoint: a SetError raised after a hook wrote something (a
    # cascade, say) undoes that object's writes and only those.
    for cid in creation_order(create):
        try:
            with txn.savepoint():
                out.created[cid] = work.create(cid, create[cid])
        except SetError as err:
            out.not_created[cid] = err.to_json()
    resolve = work.resolve
    destroy_ids = [resolve_id(i, resolve) or i for i in dict.fromkeys(destroy)]
    for key, patch in update.items():
        record_id = resolve_id(key, resolve)
        if record_id is None:
            out.not_updated[key] = SetError("notFound", f"no {name} {key}").to_json()
            continue
        if record_id in destroy_ids:
            out.not_updated[record_id] = SetError(
                "willDestroy", "the object is destroyed in the same call"
            ).to_json()
            continue
        try:
            with txn.savepoint():
                out.updated[record_id] = work.update(record_id, patch)
        except SetError as err:
            out.not_updated[record_id] = err.to_json()
    for record_id in destroy_ids:
        try:
            with txn.savepoint():
                work.destroy(record_id)
            out.destroyed.append(record_id)
        except SetError as err:
            out.not_destroyed[record_id] = err.to_json()
    out.created_ids = dict(work.created_now)
    return out


async def run_set(
    datatype: DataType,
    ctx: RequestContext,
    account: Account,
    *,
    if_in_state: object = None,
    create: dict[str, Any] | None = None,
    update: dict[str, Any] | None = None,
    destroy: list[str] | None = None,
    arguments: JsonObject | None = None,
) -> JsonObject:
    """Run a /set for `account` and return its response arguments."""
    create, update, destroy = create or {}, update or {}, destroy or []
    limit = ctx.limits.max_objects_in_set
    if len(create) + len(update) + len(destroy) > limit:
        raise MethodError("requestTooLarge", f"at most {limit} objects per /set (maxObjectsInSet)")
    request_created = dict(ctx.created_ids)

    def write(txn: WriteTxn) -> SetOutcome:
        work = SetWork(datatype, txn, account.id, arguments or {}, request_created)
        return set_in_txn(work, if_in_state, create, update, destroy)

    out, commit = await ctx.store.write(account.id, write)
    ctx.record_commit(commit)
    ctx.created_ids.update(out.created_ids)
    old_state = encode_state(out.old_state, datatype.name)
    changed = datatype.name in commit.changed_types
    return {
        "accountId": account.id,
        "oldState": old_state,
        "newState": encode_state(commit.modseq, datatype.name) if changed else old_state,
        "created": out.created or None,
        "updated": out.updated or None,
        "destroyed": out.destroyed or None,
        "notCreated": out.not_created or None,
        "notUpdated": out.not_updated or None,
        "notDestroyed": out.not_destroyed or None,
    }


async def set_(datatype: DataType, ctx: RequestContext, raw: JsonObject) -> list[MethodResponse]:
    args = Args(
        raw, ("accountId", "ifInState", "create", "update", "destroy"), datatype.set_arguments
    )
    account = method_account(ctx, datatype, args.raw.get("accountId"), write=True)
    if_in_state = args.string("ifInState")
    create = args.obj("create")
    update = args.obj("update")
    destroy = args.str_list("destroy")
    response = await run_set(
        datatype,
        ctx,
        account,
        if_in_state=if_in_state,
        create=create,
        update=update,
        destroy=destroy,
        arguments=args.extra,
    )
    return [(f"{datatype.name}/set", response)]
