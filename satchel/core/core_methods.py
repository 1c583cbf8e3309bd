"""The core capability `urn:ietf:params:jmap:core` and its own methods: Core/echo (RFC 8620
section 4) and Blob/copy (section 6.3)."""

from __future__ import annotations

import time
from typing import Any

from satchel.core.context import RequestContext
from satchel.core.errors import MethodError, SetError, invalid_arguments
from satchel.core.limits import CoreLimits
from satchel.core.registry import Capability, JsonObject, MethodResponse, MethodSpec, Registry
from satchel.store.base import BlobMissing, WriteTxn

CORE = "urn:ietf:params:jmap:core"

# RFC 8620 section 6.1: an unreferenced blob lives at least an hour. A copied blob starts
# unreferenced in the target account, so it gets the same grace as an upload.
DEFAULT_BLOB_EXPIRY_SECONDS = 24 * 3600


def register_core(
    registry: Registry,
    limits: CoreLimits,
    blob_expiry_seconds: float = DEFAULT_BLOB_EXPIRY_SECONDS,
) -> None:
    """Register the core capability, Core/echo and Blob/copy."""
    registry.add_capability(
        Capability(uri=CORE, session_value=limits.capability, account_value=lambda account: {})
    )
    registry.add_method(MethodSpec(name="Core/echo", capability=CORE, handler=core_echo))

    async def blob_copy_handler(ctx: RequestContext, args: JsonObject) -> list[MethodResponse]:
        return await blob_copy(ctx, args, blob_expiry_seconds)

    registry.add_method(MethodSpec(name="Blob/copy", capability=CORE, handler=blob_copy_handler))


async def core_echo(ctx: RequestContext, args: JsonObject) -> list[MethodResponse]:
    """RFC 8620 section 4: return exactly the arguments given."""
    return [("Core/echo", args)]


_BLOB_COPY_ARGUMENTS = frozenset({"fromAccountId", "accountId", "blobIds"})


async def blob_copy(
    ctx: RequestContext, args: JsonObject, expiry_seconds: float
) -> list[MethodResponse]:
    """RFC 8620 section 6.3: make blobs of one account visible in another, in one write to the
    target account. Blobs are content-addressed, so a copy keeps its id."""
    unknown = sorted(set(args) - _BLOB_COPY_ARGUMENTS)
    if unknown:
        raise invalid_arguments(f"unknown arguments: {', '.join(unknown)}")
    from_account_id = args.get("fromAccountId")
    account_id = args.get("accountId")
    blob_ids = args.get("blobIds")
    if not isinstance(from_account_id, str):
        raise invalid_arguments("fromAccountId must be a string")
    if not isinstance(account_id, str):
        raise invalid_arguments("accountId must be a string")
    if not isinstance(blob_ids, list) or not all(isinstance(b, str) for b in blob_ids):
        raise invalid_arguments("blobIds must be an array of strings")
    if from_account_id not in ctx.accounts:
        raise MethodError(
            "fromAccountNotFound", f"no account {from_account_id!r} is visible to this user"
        )
    ctx.writable_account(account_id)

    wanted = list(dict.fromkeys(blob_ids))
    copied: dict[str, str] = {}
    not_copied: dict[str, Any] = {}
    if wanted:
        expires_at = time.time() + expiry_seconds

        def copy(txn: WriteTxn) -> tuple[dict[str, str], dict[str, Any]]:
            done: dict[str, str] = {}
            failed: dict[str, Any] = {}
            now = time.time()
            for blob_id in wanted:
                info = txn.blob_info(from_account_id, blob_id)
                if info is None or (info.expires_at is not None and info.expires_at <= now):
                    # RFC 8620 section 6.3: a blob that cannot be found -> notFound SetError.
                    error = SetError("notFound", f"no blob {blob_id!r} in {from_account_id}")
                    failed[blob_id] = error.to_json()
                    continue
                try:
                    txn.add_blob(blob_id, info.size, info.type, expires_at)
                except BlobMissing:
                    # The row outlived its bytes (collected meanwhile): nothing to copy.
                    error = SetError("notFound", f"blob {blob_id!r} has no content any more")
                    failed[blob_id] = error.to_json()
                    continue
                done[blob_id] = blob_id
            return done, failed

        (copied, not_copied), commit = await ctx.store.write(account_id, copy)
        ctx.record_commit(commit)

    return [
        (
            "Blob/copy",
            {
                "fromAccountId": from_account_id,
                "accountId": account_id,
                "copied": copied or None,
                "notCopied": not_copied or None,
            },
        )
    ]
