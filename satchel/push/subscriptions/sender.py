"""One POST to a push subscription's URL (RFC 8620 section 7.2): the JSON body, encrypted when
the subscription has keys (RFC 8291), with the Web Push headers of RFC 8030 section 5 (`TTL`,
`Urgency`), to the address the SSRF check approved (`urls.resolve_push_url`).

The answer is classified for the caller (`Delivery`): delivered, gone (404/410: the
subscription is no more, RFC 8030 section 7.3), or to retry (network error, timeout, 5xx, 429,
anything else), with the Retry-After the service asked for. The response body is never read, so
a service answering with endless bytes costs nothing, and every POST has an overall deadline, so
one that trickles its answer cannot hold a sender.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from enum import Enum
from typing import Any

import httpx
import orjson

from satchel.push.subscriptions import webpush
from satchel.push.subscriptions.urls import UrlRefused, resolve_push_url
from satchel.store.push_base import PushSubscriptionRow

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_SECONDS = 5.0
# The whole POST, from resolving the host to the status line.
REQUEST_DEADLINE_SECONDS = 15.0
# A Retry-After beyond this is taken as this (a service cannot park a subscription for days).
MAX_RETRY_AFTER_SECONDS = 3600.0
# POSTs in flight to one host at once, and in all: a slow push service delays only its own.
PER_HOST_CONCURRENCY = 4
TOTAL_CONCURRENCY = 64


class Outcome(Enum):
    DELIVERED = "delivered"
    GONE = "gone"
    RETRY = "retry"


@dataclass(frozen=True, slots=True)
class Delivery:
    outcome: Outcome
    status: int | None = None  # the HTTP status, None when no answer came
    retry_after: float | None = None  # seconds the service asked us to wait
    detail: str = ""

    @property
    def throttled(self) -> bool:
        """429: RFC 8620 section 7.2 wants the frequency of pushes reduced."""
        return self.status == 429


def new_http_client() -> httpx.AsyncClient:
    """The client POSTs go through. No keep-alive: every POST connects to the address checked
    for it, and a pooled connection (keyed by address) could otherwise carry a request for
    another host name served from the same address."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(REQUEST_DEADLINE_SECONDS, connect=CONNECT_TIMEOUT_SECONDS),
        limits=httpx.Limits(max_connections=TOTAL_CONCURRENCY, max_keepalive_connections=0),
        follow_redirects=False,
        trust_env=False,
    )


class _HostSlots:
    """A semaphore per host, existing only while someone holds or awaits it."""

    def __init__(self, per_host: int) -> None:
        self._per_host = per_host
        self._slots: dict[str, tuple[asyncio.Semaphore, int]] = {}

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        semaphore, users = self._slots.get(host, (asyncio.Semaphore(self._per_host), 0))
        self._slots[host] = (semaphore, users + 1)
        try:
            async with semaphore:
                yield
        finally:
            semaphore, users = self._slots[host]
            if users == 1:
                del self._slots[host]
            else:
                self._slots[host] = (semaphore, users - 1)


class PushSender:
    """POSTs to push subscriptions through one HTTP client (owned by the caller)."""

    def __init__(self, client: httpx.AsyncClient, *, allow_private: bool) -> None:
        self._client = client
        self._allow_private = allow_private
        self._hosts = _HostSlots(PER_HOST_CONCURRENCY)
        self._total = asyncio.Semaphore(TOTAL_CONCURRENCY)

    async def send(
        self,
        subscription: PushSubscriptionRow,
        message: dict[str, Any],
        *,
        ttl: int,
        urgency: str = "normal",
    ) -> Delivery:
        """POST one message (a StateChange or PushVerification object); never raises for
        anything the network or the service does."""
        body = orjson.dumps(message)
        headers = {
            "Content-Type": "application/json",
            "TTL": str(ttl),  # RFC 8030 section 5.2
            "Urgency": urgency,  # RFC 8030 section 5.3
        }
        if subscription.p256dh is not None and subscription.auth is not None:
            body = webpush.encrypt(body, subscription.p256dh, subscription.auth)
            headers["Content-Encoding"] = "aes128gcm"
        try:
            async with asyncio.timeout(REQUEST_DEADLINE_SECONDS):
                target = await resolve_push_url(subscription.url, allow_private=self._allow_private)
                headers["Host"] = target.host_header
                async with self._hosts.slot(target.server_name), self._total:
                    for url in target.urls[:-1]:
                        try:
                            return await self._post(url, target.server_name, body, headers)
                        except httpx.ConnectError:
                            continue  # the host's next address
                    return await self._post(target.urls[-1], target.server_name, body, headers)
        except UrlRefused as exc:
            return Delivery(Outcome.RETRY, detail=str(exc))
        except TimeoutError:
            return Delivery(Outcome.RETRY, detail="no answer in time")
        except (httpx.HTTPError, OSError) as exc:
            return Delivery(Outcome.RETRY, detail=f"{type(exc).__name__}: {exc}")
        except Exception as exc:  # a bug must not end a delivery loop or a verification
            log.exception("push: POST to subscription %s failed unexpectedly", subscription.id)
            return Delivery(Outcome.RETRY, detail=f"{type(exc).__name__}: {exc}")

    async def _post(
        self, url: str, server_name: str, body: bytes, headers: dict[str, str]
    ) -> Delivery:
        request = self._client.build_request(
            "POST", url, content=body, headers=headers, extensions={"sni_hostname": server_name}
        )
        response = await self._client.send(request, stream=True)
        try:
            status = response.status_code
            retry_after = parse_retry_after(response.headers.get("retry-after"))
        finally:
            await response.aclose()
        if 200 <= status < 300:
            return Delivery(Outcome.DELIVERED, status)
        if status in (404, 410):
            return Delivery(Outcome.GONE, status, detail=f"HTTP {status}")
        return Delivery(Outcome.RETRY, status, retry_after, detail=f"HTTP {status}")


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """RFC 9110 section 10.2.3: delay-seconds or an HTTP-date; None when absent or unreadable.
    Capped at MAX_RETRY_AFTER_SECONDS."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)
