"""Foo/copy (RFC 8620 section 5.4): copy records from another account, in three phases: read
the originals, write the copies in one transaction of the target account, then (if asked) an
implicit Foo/set destroying the originals, whose response follows the /copy response."""

from __future__ import annotations

from typing import Any

from satchel.core.context import RequestContext
from satchel.core.datatype import DataType
from satchel.core.errors import MethodError, SetError, invalid_arguments
from satchel.core.registry import MethodResponse
from satchel.core.standard.common import Args, full_object, method_account, supports
from satchel.core.standard.set import SetWork, run_set
from satchel.core.state import check_if_in_state, encode_state
from satchel.store.base import Account, ReadTxn, WriteTxn

JsonObject = dict[str, Any]

# RFC 8620 section 5.4: the arguments every /copy takes.
COPY_ARGUMENTS = (
    "fromAccountId",
    "ifFromInState",
    "accountId",
    "ifInState",
    "create",
    "onSuccessDestroyOriginal",
    "destroyFromIfInState",
)


def _from_account(ctx: RequestContext, datatype: DataType, account_id: object) -> Account:
    if not isinstance(account_id, str):
        raise invalid_arguments("fromAccountId must be a String")
    account = ctx.accounts.get(account_id)
    if account is None:
        raise MethodError("fromAccountNotFound", f"no account {account_id!r} for this user")
    if not supports(ctx, datatype, account):
        raise MethodError(
            "fromAccountNotSupportedByMethod", f"account does not support {datatype.name}"
        )
    return account


async def copy(datatype: DataType, ctx: RequestContext, raw: JsonObject) -> list[MethodResponse]:
    args = Args(raw, COPY_ARGUMENTS, datatype.set_arguments)
    from_account = _from_account(ctx, datatype, args.raw.get("fromAccountId"))
    account = method_account(ctx, datatype, args.raw.get("accountId"), write=True)
    if from_account.id == account.id:
        raise invalid_arguments("fromAccountId and accountId must differ")
    if_from_in_state = args.string("ifFromInState")
    if_in_state = args.string("ifInState")
    destroy_if_in_state = args.string("destroyFromIfInState")
    destroy_original = args.boolean("onSuccessDestroyOriginal", False)
    create = args.obj("create")
    if create is None:
        raise invalid_arguments("create is required")
    limit = ctx.limits.max_objects_in_set
    if len(create) > limit:
        raise MethodError("requestTooLarge", f"at most {limit} objects per /copy")

    source_ids = {
        cid: entry["id"]
        for cid, entry in create.items()
        if isinstance(entry, dict) and isinstance(entry.get("id"), str)
    }

    # Phase 1: read the originals.
    def read(txn: ReadTxn) -> dict[str, JsonObject]:
        state = txn.type_state(from_account.id, datatype.name).high
        check_if_in_state(if_from_in_state, state, datatype.name)  # section 5.4: ifFromInState
        records = txn.get_records(from_account.id, datatype.name, sorted(set(source_ids.values())))
        return {r.id: full_object(datatype, r) for r in records}

    originals = await ctx.store.read(read)
    request_created = dict(ctx.created_ids)

    # Phase 2: write the copies, each on its own.
    def write(txn: WriteTxn) -> tuple[int, dict[str, JsonObject], dict[str, JsonObject]]:
        old = txn.type_state(account.id, datatype.name).high
        check_if_in_state(if_in_state, old, datatype.name)  # section 5.4: ifInState
        work = SetWork(datatype, txn, account.id, args.extra, request_created)
        created: dict[str, JsonObject] = {}
        not_created: dict[str, JsonObject] = {}
        for cid, entry in create.items():
            try:
                created[cid] = _copy_one(datatype, work, cid, entry, originals)
            except SetError as err:
                not_created[cid] = err.to_json()
        return old, created, not_created

    (old, created, not_created), commit = await ctx.store.write(account.id, write)
    ctx.record_commit(commit)
    ctx.created_ids.update({cid: entry["id"] for cid, entry in created.items()})
    old_state = encode_state(old, datatype.name)
    changed = datatype.name in commit.changed_types
    responses: list[MethodResponse] = [
        (
            f"{datatype.name}/copy",
            {
                "fromAccountId": from_account.id,
                "accountId": account.id,
                "oldState": old_state,
                "newState": encode_state(commit.modseq, datatype.name) if changed else old_state,
                "created": created or None,
                "notCreated": not_created or None,
            },
        )
    ]

    # Phase 3: section 5.4: one implicit Foo/set destroying the originals that were copied.
    if destroy_original and created:
        try:
            destroyed = await run_set(
                datatype,
                ctx,
                ctx.writable_account(from_account.id),
                if_in_state=destroy_if_in_state,
                destroy=[source_ids[cid] for cid in created],
            )
            responses.append((f"{datatype.name}/set", destroyed))
        except MethodError as err:
            responses.append(("error", err.to_json()))
    return responses


def _copy_one(
    datatype: DataType,
    work: SetWork,
    creation_id: str,
    entry: Any,
    originals: dict[str, JsonObject],
) -> JsonObject:
    """Copy one record: its non-server-set properties, overridden by those in `entry`."""
    if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
        raise SetError("invalidProperties", "each copy needs the `id` to copy", properties=["id"])
    original = originals.get(entry["id"])
    if original is None:
        raise SetError("notFound", f"no {datatype.name} {entry['id']} in the from account")
    obj = {
        name: value
        for name, value in original.items()
        if name in datatype.properties and not datatype.properties[name].server_set
    }
    obj.update((k, v) for k, v in entry.items() if k != "id")
    result = work.create(creation_id, obj)
    # Section 5.4: `created` holds only what the server set (the id, server-set properties).
    return {
        k: v
        for k, v in result.items()
        if k == "id" or (k in datatype.properties and datatype.properties[k].server_set)
    }
