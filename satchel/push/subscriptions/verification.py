"""The PushVerification POST (RFC 8620 section 7.2.2): sent as soon as a subscription is
created, by the process that created it, in the background so that a slow push URL never holds
up the /set response. A few attempts with backoff; a 404/410 destroys the subscription (the
client will not get its code). Nothing else is ever sent to an unverified subscription."""

from __future__ import annotations

import asyncio
import logging

from satchel.push.subscriptions.sender import Outcome, PushSender, new_http_client
from satchel.store.base import Store, WriteTxn
from satchel.store.push_base import PushSubscriptionRow

log = logging.getLogger(__name__)

ATTEMPTS = 3
FIRST_RETRY_SECONDS = 2.0
# RFC 8030 section 5.2: the client is waiting for this message in the foreground.
VERIFICATION_TTL = 3600


class Verifier:
    """Sends the PushVerifications of one process; `close` cancels those still running."""

    def __init__(self, *, allow_private: bool, attempts: int = ATTEMPTS) -> None:
        self._allow_private = allow_private
        self._attempts = attempts
        self._tasks: set[asyncio.Task[None]] = set()

    def schedule(self, store: Store, row: PushSubscriptionRow) -> None:
        task = asyncio.create_task(self._verify(store, row), name=f"push-verify-{row.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _verify(self, store: Store, row: PushSubscriptionRow) -> None:
        message = {
            "@type": "PushVerification",
            "pushSubscriptionId": row.id,
            "verificationCode": row.verification_code,
        }
        try:
            async with new_http_client() as client:
                sender = PushSender(client, allow_private=self._allow_private)
                for attempt in range(self._attempts):
                    delivery = await sender.send(row, message, ttl=VERIFICATION_TTL, urgency="high")
                    if delivery.outcome is Outcome.DELIVERED:
                        return
                    if delivery.outcome is Outcome.GONE:
                        await _destroy(store, row.id)
                        return
                    log.info("push verification %s failed: %s", row.id, delivery.detail)
                    if attempt + 1 < self._attempts:
                        delay = FIRST_RETRY_SECONDS * 2**attempt
                        await asyncio.sleep(max(delay, delivery.retry_after or 0.0))
        except Exception:
            log.exception("push verification %s failed", row.id)


async def _destroy(store: Store, subscription_id: str) -> None:
    def destroy(txn: WriteTxn) -> bool:
        return txn.delete_push_subscription(subscription_id)

    await store.write("", destroy)
