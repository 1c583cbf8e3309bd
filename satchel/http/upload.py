"""Blob upload, `POST /jmap/upload/{accountId}/` (RFC 8620 section 6.1).

The body streams to the content-addressed blob store on a worker thread (never buffered whole,
never on the event loop), capped at `maxSizeUpload` (413 problem+json, nothing stored), with at
most `maxConcurrentUpload` uploads in flight per user (429). The blob then becomes visible to the
account as an unreferenced upload that expires after `settings.blob_expiry_seconds`.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncGenerator, Iterator

import anyio.from_thread
import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response

from satchel.http.authn import require_user
from satchel.http.blobs_common import visible_account
from satchel.http.body import capped_stream, check_declared_length, too_large
from satchel.http.responses import HttpProblem, JsonResponse
from satchel.http.state import HttpState
from satchel.store.base import BlobFiles, BlobMissing, BlobTooLarge, WriteTxn

DEFAULT_TYPE = "application/octet-stream"
# A media type as a header carries it: printable ASCII, no control characters.
_HEADER_VALUE = re.compile(r"[\x21-\x7e][\x20-\x7e]{0,254}")


def upload_type(raw: str | None) -> str:
    """RFC 8620 section 6.1: `type` is the upload's Content-Type (a missing or empty one, as
    some clients send for unknown files, means application/octet-stream)."""
    value = (raw or "").strip()
    if not value:
        return DEFAULT_TYPE
    if not _HEADER_VALUE.fullmatch(value):
        raise HttpProblem(400, "invalid Content-Type header")
    return value


def _store_stream(
    blobs: BlobFiles, stream: AsyncGenerator[bytes, None], max_size: int
) -> tuple[str, int]:
    """Runs on a worker thread: pulls chunks from the event loop, writes them to the store."""

    async def next_chunk() -> bytes | None:
        return await anext(stream, None)

    def chunks() -> Iterator[bytes]:
        while (chunk := anyio.from_thread.run(next_chunk)) is not None:
            yield chunk

    return blobs.put_stream(chunks(), max_size)


async def upload(state: HttpState, request: Request) -> Response:
    services = state.services
    store = services.store
    max_size = services.limits.max_size_upload
    user = await require_user(request, services)
    account_id = request.path_params["accountId"]
    account = await visible_account(store, user, account_id)
    if account.is_read_only:
        raise HttpProblem(403, "the account is read-only")
    media_type = upload_type(request.headers.get("content-type"))
    with state.upload_slots.slot(user.id):
        check_declared_length(request, max_size, "maxSizeUpload")
        stream = capped_stream(request, max_size, "maxSizeUpload")
        try:
            blob_id, size = await anyio.to_thread.run_sync(
                _store_stream, store.blobs, stream, max_size
            )
        except BlobTooLarge:
            raise too_large("maxSizeUpload", max_size) from None
        finally:
            await stream.aclose()
        expires_at = time.time() + services.settings.blob_expiry_seconds

        def add(txn: WriteTxn) -> None:
            txn.add_blob(blob_id, size, media_type, expires_at)

        try:
            await store.write(account.id, add)
        except BlobMissing:
            # Collected by an expiry sweep in the instant between writing and adding the row.
            raise HttpProblem(503, "the upload raced with blob expiry; please retry") from None
    return JsonResponse(
        {"accountId": account.id, "blobId": blob_id, "type": media_type, "size": size},
        status_code=201,
    )
