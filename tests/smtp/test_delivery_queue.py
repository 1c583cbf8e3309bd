"""Group commit: concurrent deliveries to one account share write transactions, and each still
gets its own outcome."""

from __future__ import annotations

import asyncio
import threading

import pytest
from lmtp_support import emails

from satchel.mail.ingest import Incoming, IngestError
from satchel.smtp.delivery import DeliveryQueue
from satchel.store.base import Store


def message(i: int) -> bytes:
    return b"From: c@example.net\r\nSubject: queued %d\r\n\r\nBody.\r\n" % i


async def test_concurrent_deliveries_share_transactions(
    store: Store, accounts: dict[str, str]
) -> None:
    alice, bob = accounts["alice"], accounts["bob"]
    before = await store.read(lambda txn: txn.account_modseq(alice))
    queue = DeliveryQueue(store)
    # Another account's long write holds the writer while the six deliveries arrive: at most
    # the first goes alone, the rest queue up behind it and share the next transaction.
    release = threading.Event()
    busy = asyncio.create_task(store.write(bob, lambda txn: release.wait(10)))
    deliveries = [asyncio.create_task(queue.deliver(alice, Incoming(message(i)))) for i in range(6)]
    await asyncio.sleep(0.5)
    release.set()
    ids = await asyncio.gather(*deliveries)
    await busy
    assert len(set(ids)) == 6
    after = await store.read(lambda txn: txn.account_modseq(alice))
    assert 1 <= after - before <= 2
    assert sorted(r.data["subject"] for r in await emails(store, alice)) == [
        f"queued {i}" for i in range(6)
    ]


async def test_a_bad_delivery_fails_alone(store: Store, accounts: dict[str, str]) -> None:
    alice = accounts["alice"]
    queue = DeliveryQueue(store)
    outcomes = await asyncio.gather(
        queue.deliver(alice, Incoming(message(0))),
        queue.deliver(alice, Incoming(message(1))),
        queue.deliver(alice, Incoming(message(2), mailbox_ids=["no-such-mailbox"])),
        queue.deliver(alice, Incoming(message(3))),
        return_exceptions=True,
    )
    assert isinstance(outcomes[2], IngestError)
    assert all(isinstance(o, str) for i, o in enumerate(outcomes) if i != 2)
    subjects = sorted(r.data["subject"] for r in await emails(store, alice))
    assert subjects == ["queued 0", "queued 1", "queued 3"]


async def test_accounts_are_written_separately(store: Store, accounts: dict[str, str]) -> None:
    queue = DeliveryQueue(store)
    await asyncio.gather(
        queue.deliver(accounts["alice"], Incoming(message(0))),
        queue.deliver(accounts["bob"], Incoming(message(1))),
    )
    assert [r.data["subject"] for r in await emails(store, accounts["alice"])] == ["queued 0"]
    assert [r.data["subject"] for r in await emails(store, accounts["bob"])] == ["queued 1"]


@pytest.mark.parametrize("count", [1, 130])
async def test_large_bursts_are_cut_into_batches(
    store: Store, accounts: dict[str, str], count: int
) -> None:
    queue = DeliveryQueue(store, max_batch=50)
    alice = accounts["alice"]
    await asyncio.gather(*(queue.deliver(alice, Incoming(message(i))) for i in range(count)))
    assert len(await emails(store, alice)) == count
