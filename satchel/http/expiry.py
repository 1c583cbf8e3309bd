"""Expiry of unreferenced uploads, run in the background of each server process.

RFC 8620 section 6: an unreferenced blob must live at least an hour after upload; after
`settings.blob_expiry_seconds` the store drops its rows (`WriteTxn.expire_blobs`) and we delete
the files no account refers to any more.

Blob files are content-addressed and shared, so a file being expired may at that very moment be
uploaded again. `BlobPins` closes that race within a process: an upload pins its blob id from the
moment its file is written until its row is committed, and the sweeper never deletes a pinned
file; an upload whose file vanished before it was pinned notices (the file is gone after its row
committed) and asks the client to retry.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import Counter
from collections.abc import Iterator

import anyio.to_thread

from satchel.store.base import Store, WriteTxn

log = logging.getLogger("satchel.http.expiry")

SWEEP_INTERVAL_SECONDS = 300.0


class BlobPins:
    """Blob ids an in-flight upload is about to reference. Thread-safe: the sweeper checks it on
    a worker thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pins: Counter[str] = Counter()

    def pin(self, blob_id: str) -> None:
        with self._lock:
            self._pins[blob_id] += 1

    def unpin(self, blob_id: str) -> None:
        with self._lock:
            self._pins[blob_id] -= 1
            if self._pins[blob_id] <= 0:
                del self._pins[blob_id]

    @contextlib.contextmanager
    def pinned(self, blob_id: str) -> Iterator[None]:
        self.pin(blob_id)
        try:
            yield
        finally:
            self.unpin(blob_id)

    def delete_unpinned(self, store: Store, blob_ids: list[str]) -> int:
        """Delete the files of `blob_ids` that no upload is pinning; returns how many."""
        deleted = 0
        for blob_id in blob_ids:
            with self._lock:
                if self._pins[blob_id] > 0:
                    continue
                store.blobs.delete(blob_id)
                deleted += 1
        return deleted


async def expire_blobs_once(store: Store, pins: BlobPins, now: float | None = None) -> int:
    """One sweep: drop expired unreferenced blob rows, then delete orphaned files."""
    moment = time.time() if now is None else now

    def expire(txn: WriteTxn) -> list[str]:
        return txn.expire_blobs(moment)

    dead, _ = await store.write("", expire)
    if not dead:
        return 0
    return await anyio.to_thread.run_sync(pins.delete_unpinned, store, dead)


async def expiry_loop(
    store: Store, pins: BlobPins, interval: float = SWEEP_INTERVAL_SECONDS
) -> None:
    """Sweep every `interval` seconds until cancelled; a failed sweep is logged and retried."""
    while True:
        await asyncio.sleep(interval)
        try:
            deleted = await expire_blobs_once(store, pins)
        except Exception:
            log.exception("blob expiry sweep failed")
        else:
            if deleted:
                log.info("expired %d unreferenced blob file(s)", deleted)
