"""The full-text index is merged into one segment once it has been quiet, in small steps, and
searches find the same Emails before and after."""

from __future__ import annotations

import asyncio
import contextlib
from typing import cast

from mail_index_support import entry, ids, index_entries

from satchel.mail.text_index_upkeep import compact, upkeep_loop
from satchel.store.base import Store
from satchel.store.mail_base import MailReadTxn


def _segments(store: Store) -> int:
    return store.read_sync(lambda txn: cast(MailReadTxn, txn).text_index_shape())[0]


def _fill(store: Store, account_id: str) -> None:
    # One write transaction each: every one leaves a segment of its own.
    for n in range(12):
        words = "common" if n % 2 else "common rare"
        index_entries(
            store, account_id, [entry(f"e{n:02d}", received_at=1000 + n, body_text=words)]
        )


async def test_compaction_leaves_one_segment_and_the_same_answers(
    store: Store, account_id: str
) -> None:
    _fill(store, account_id)
    assert _segments(store) > 1
    before = (ids(store, account_id, {"text": "common"}), ids(store, account_id, {"text": "rar"}))
    steps = await compact(store, pages=1)
    assert steps >= 1
    assert _segments(store) == 1
    after = (ids(store, account_id, {"text": "common"}), ids(store, account_id, {"text": "rar"}))
    assert after == before
    assert await compact(store) == 0  # nothing left to do


async def test_the_loop_compacts_a_quiet_index(store: Store, account_id: str) -> None:
    _fill(store, account_id)
    task = asyncio.create_task(upkeep_loop(store, quiet_seconds=0.05))
    try:
        for _ in range(200):
            if _segments(store) == 1:
                break
            await asyncio.sleep(0.02)
        assert _segments(store) == 1
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
