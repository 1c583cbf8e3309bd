"""Expiry of unreferenced uploads, run in the background of each server process.

RFC 8620 section 6: an unreferenced blob must live at least an hour after upload; after
`settings.blob_expiry_seconds` the store drops its rows and deletes the files no account refers to
any more (`satchel.store.blobs.expire_and_collect`, which also keeps a file that an upload is
re-putting at that moment). This module only schedules it.
"""

from __future__ import annotations

import asyncio
import logging

from satchel.store.base import Store
from satchel.store.blobs import expire_and_collect

log = logging.getLogger("satchel.http.expiry")

SWEEP_INTERVAL_SECONDS = 300.0


async def expiry_loop(store: Store, interval: float = SWEEP_INTERVAL_SECONDS) -> None:
    """Sweep every `interval` seconds until cancelled; a failed sweep is logged and retried."""
    while True:
        await asyncio.sleep(interval)
        try:
            deleted = await expire_and_collect(store)
        except Exception:
            log.exception("blob expiry sweep failed")
        else:
            if deleted:
                log.info("expired %d unreferenced blob file(s)", len(deleted))
