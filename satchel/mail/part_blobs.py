"""Blob ids of message parts: `{messageBlobId}P{partId}` (what `summarize` gives every leaf
part). Such a blob is a slice of the stored message, decoded from its transfer encoding, and is
visible to an account exactly when the message blob is."""

from __future__ import annotations

import asyncio

from satchel.mail import mime
from satchel.store.base import ReadTxn, Store


def split_part_blob_id(blob_id: str) -> tuple[str, str] | None:
    """(message blob id, part id) of a part blob id, or None for any other id."""
    message_id, sep, part_id = blob_id.rpartition("P")
    if not sep or not message_id or not part_id or "P" in message_id:
        return None
    return message_id, part_id


async def read_blob(store: Store, account_id: str, blob_id: str) -> bytes | None:
    """The bytes of a blob the account can see, plain or part of a message; None otherwise."""
    split = split_part_blob_id(blob_id)
    stored = blob_id if split is None else split[0]

    def visible(txn: ReadTxn) -> bool:
        return txn.blob_info(account_id, stored) is not None

    if not await store.read(visible):
        return None
    data = await asyncio.to_thread(store.blobs.open, stored)
    if data is None or split is None:
        return data
    part = mime.find_part(mime.parse_message(data), split[1])
    # A multipart has no blob of its own; an attached message/rfc822 is its whole content.
    if part is None or part.type.startswith("multipart/"):
        return None
    return mime.decoded_part(data, part)
