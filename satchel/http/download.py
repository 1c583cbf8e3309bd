"""Blob download, `GET /jmap/download/{accountId}/{blobId}/{name}?type=` (RFC 8620 section 6.2).

CONTRACT point 4: `Content-Type` is exactly the `type` asked for (refused if it could inject a
header) and `Content-Disposition` carries `{name}` (RFC 6266, with an RFC 8187 UTF-8 form). Blob
data is immutable, so responses are cacheable forever (RFC 8246 `immutable`), the blobId is the
ETag (If-None-Match answers 304) and byte ranges are served.
"""

from __future__ import annotations

import os
import re
from urllib.parse import quote, unquote

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from satchel.http.authn import require_user
from satchel.http.blobs_common import visible_account
from satchel.http.responses import HttpProblem
from satchel.http.state import HttpState
from satchel.mail.part_blobs import read_blob, split_part_blob_id
from satchel.store.base import BlobInfo, ReadTxn, Store

CACHE_CONTROL = "private, immutable, max-age=31536000"
DEFAULT_TYPE = "application/octet-stream"
# What may go into a header value verbatim: printable ASCII, no CR/LF or other controls.
_HEADER_VALUE = re.compile(r"[\x21-\x7e][\x20-\x7e]{0,254}")


def query_param(query_string: bytes, name: str) -> str | None:
    """A query parameter, percent-decoded per RFC 3986. Unlike HTML form decoding, "+" stays
    "+": RFC 6570 expansion encodes it, and a client that substitutes `{type}` without encoding
    still means `image/svg+xml`, not `image/svg xml`."""
    for pair in query_string.decode("latin-1").split("&"):
        key, _, value = pair.partition("=")
        if unquote(key) == name:
            return unquote(value)
    return None


def download_type(requested: str | None, stored: str) -> str:
    if requested is None or requested == "":
        return stored if _HEADER_VALUE.fullmatch(stored) else DEFAULT_TYPE
    if not _HEADER_VALUE.fullmatch(requested):
        raise HttpProblem(400, "the type parameter is not a valid media type")
    return requested


def content_disposition(name: str) -> str:
    """RFC 6266 section 4.3: a plain `filename` for old clients (non-ASCII, quotes and path
    separators replaced) and the exact name in `filename*` (RFC 8187 UTF-8 percent-encoding)."""
    fallback = (
        "".join(ch if " " <= ch <= "~" and ch not in '"\\/' else "_" for ch in name).strip()
        or "download"
    )
    encoded = quote(name.encode("utf-8", "replace"), safe="")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


def _etag_matches(if_none_match: str | None, etag: str) -> bool:
    if if_none_match is None:
        return False
    candidates = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in candidates or etag in candidates


async def _blob_info(store: Store, account_id: str, blob_id: str) -> BlobInfo | None:
    def read(txn: ReadTxn) -> BlobInfo | None:
        return txn.blob_info(account_id, blob_id)

    return await store.read(read)


def _locate(store: Store, blob_id: str) -> tuple[str, os.stat_result] | None:
    path = store.blobs.path(blob_id)
    if path is None:
        return None
    try:
        return path, os.stat(path)
    except FileNotFoundError:
        return None


async def download(state: HttpState, request: Request) -> Response:
    services = state.services
    store = services.store
    user = await require_user(request, services)
    params = request.path_params
    account = await visible_account(store, user, params["accountId"])
    blob_id: str = params["blobId"]
    info = await _blob_info(store, account.id, blob_id)
    # A message part's blob ("{messageBlobId}P{partId}", RFC 8621 section 4.1.4) is a slice of
    # the stored message, decoded: served from memory rather than from a file.
    part = None
    if info is None and split_part_blob_id(blob_id) is not None:
        part = await read_blob(store, account.id, blob_id)
    if info is None and part is None:
        raise HttpProblem(404, "no such blob in this account")
    stored_type = info.type if info is not None else DEFAULT_TYPE
    media_type = download_type(query_param(request.scope["query_string"], "type"), stored_type)
    etag = f'"{blob_id}"'
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if _etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    if part is not None:
        headers["Content-Type"] = media_type
        headers["Content-Disposition"] = content_disposition(params["name"])
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Content-Security-Policy"] = "sandbox"
        return Response(part, headers=headers)
    located = await anyio.to_thread.run_sync(_locate, store, blob_id)
    if located is None:
        raise HttpProblem(404, "the blob's data is no longer available")
    path, stat_result = located
    headers["Content-Type"] = media_type
    headers["Content-Disposition"] = content_disposition(params["name"])
    # The bytes are user-supplied and the type client-chosen: never let a browser sniff them
    # into something else or run them as a page of our origin.
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Content-Security-Policy"] = "sandbox"
    return FileResponse(path, headers=headers, stat_result=stat_result)
