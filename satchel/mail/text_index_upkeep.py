"""Keeping the full-text index compact in the background of a serving process.

Every write adds a segment to SQLite's FTS5 index, and FTS5 merges them only in fours, so a busy
index settles at a dozen or more segments (18 at 100k Emails). A word-prefix search (how `text`
matches, `satchel.store.mail_text`) must merge the match lists of every segment: a word in half
of 100k Emails took 11 ms over 18 segments and 3.5 ms over one. Merging everything rewrites the
whole index, so it is done only once the index has been quiet for a while (a mailbox is read far
more than it is written), in small steps that let other writers through.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import cast

from satchel.store.base import ReadTxn, Store, WriteTxn
from satchel.store.mail_base import MailReadTxn, MailWriteTxn

log = logging.getLogger("satchel.mail.text_index")

QUIET_SECONDS = 60.0  # unchanged this long before the index is merged
STEP_PAGES = 256  # pages written per merge step (tens of milliseconds)


async def upkeep_loop(store: Store, quiet_seconds: float = QUIET_SECONDS) -> None:
    """Merge the index into one segment whenever it has been unchanged for `quiet_seconds`."""
    last: tuple[int, int] | None = None
    while True:
        await asyncio.sleep(quiet_seconds)
        try:
            shape = await store.read(_shape)
            if shape == last and shape[0] > 1:
                await compact(store)
                shape = await store.read(_shape)
            last = shape
        except Exception:
            log.exception("full-text index upkeep failed")


async def compact(store: Store, pages: int = STEP_PAGES) -> int:
    """Merge step by step until one segment is left; the number of steps that did work."""

    def step(txn: WriteTxn) -> bool:
        return cast(MailWriteTxn, txn).compact_text_index(pages)

    steps = 0
    while True:
        worked, _ = await store.write("", step)
        if not worked:
            return steps
        steps += 1


def _shape(txn: ReadTxn) -> tuple[int, int]:
    return cast(MailReadTxn, txn).text_index_shape()


@contextlib.asynccontextmanager
async def text_index_upkeep(store: Store) -> AsyncIterator[None]:
    """The upkeep loop as a companion of a serving process."""
    task = asyncio.create_task(upkeep_loop(store))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
