"""The pieces of a push POST on their own: which URLs and addresses are refused (SSRF), the
Retry-After forms (RFC 9110 section 10.2.3), and RFC 8291 encryption round trips."""

from __future__ import annotations

import email.utils
import ipaddress

import httpx
import orjson
import pytest
from pushsub_support import PushService, Received, Subscriber, tls_contexts

from satchel.push.subscriptions import webpush
from satchel.push.subscriptions.sender import (
    MAX_RETRY_AFTER_SECONDS,
    Delivery,
    Outcome,
    PushSender,
    parse_retry_after,
)
from satchel.push.subscriptions.urls import (
    UrlRefused,
    is_public,
    parse_push_url,
    resolve_push_url,
)
from satchel.store.push_base import PushSubscriptionRow


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.251",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:10.0.0.1",
        "::ffff:127.0.0.1",
    ],
)
def test_internal_addresses_are_not_public(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"])
def test_internet_addresses_are_public(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "url",
    [
        "http://push.example/x",
        "ftp://push.example/x",
        "https://",
        "https://user:pw@push.example/x",
        "https://push.example:0/x",
        "https://push.example/a b",
        "https://pûsh.example/x",
        "https://push.example/" + "a" * 3000,
    ],
)
def test_url_forms_refused(url: str) -> None:
    with pytest.raises(UrlRefused):
        parse_push_url(url, allow_private=False)


async def test_allowing_private_urls_allows_http_and_loopback_and_pins_the_address() -> None:
    target = await resolve_push_url("http://localhost:8123/p?q=1", allow_private=True)
    assert target.addresses and all(a.is_loopback for a in target.addresses)
    assert target.host_header == "localhost:8123"
    assert target.server_name == "localhost"
    for address, url in zip(target.addresses, target.urls, strict=True):
        host = f"[{address}]" if address.version == 6 else str(address)
        assert url == f"http://{host}:8123/p?q=1"
    with pytest.raises(UrlRefused):
        await resolve_push_url("https://localhost/p", allow_private=False)
    with pytest.raises(UrlRefused):
        await resolve_push_url("https://does-not-exist.invalid/p", allow_private=False)


def test_retry_after_seconds_dates_and_garbage() -> None:
    assert parse_retry_after(None) is None
    assert parse_retry_after("120") == 120
    assert parse_retry_after("99999999") == MAX_RETRY_AFTER_SECONDS
    assert parse_retry_after("soon") is None
    date = email.utils.formatdate(1_000_060, usegmt=True)
    assert parse_retry_after(date, now=1_000_000) == 60
    assert parse_retry_after(date, now=2_000_000) == 0


def test_encrypted_messages_decrypt_with_the_subscribers_key_only() -> None:
    alice, mallory = Subscriber(), Subscriber()
    message = {"@type": "StateChange", "changed": {"a": {"Email": "x" * 5000}}}
    body = orjson.dumps(message)
    encrypted = webpush.encrypt(body, alice.keys["p256dh"], alice.keys["auth"])
    # RFC 8291 section 4: one record, however long (RFC 8188 header: salt, rs, idlen, keyid).
    record_size = int.from_bytes(encrypted[16:20], "big")
    header_length = 21 + encrypted[20]
    assert len(encrypted) - header_length <= record_size
    received = Received("/", {"content-encoding": "aes128gcm"}, encrypted)
    assert alice.decrypt(received) == message
    with pytest.raises(Exception):  # noqa: B017 (http_ece raises InvalidTag or ECEException)
        mallory.decrypt(received)
    # A fresh ephemeral key and salt each time: the same message never looks the same.
    assert webpush.encrypt(body, alice.keys["p256dh"], alice.keys["auth"]) != encrypted


@pytest.mark.parametrize(
    ("p256dh", "auth"),
    [
        ("AAAA", "AAAAAAAAAAAAAAAAAAAAAA"),
        ("not base64!", "AAAAAAAAAAAAAAAAAAAAAA"),
        (None, "short"),
    ],
)
def test_unusable_keys_are_refused(p256dh: str | None, auth: str) -> None:
    good = Subscriber().keys
    with pytest.raises(webpush.BadKeys):
        webpush.check_keys(p256dh or good["p256dh"], auth)


async def _send_over_tls(certificate_name: str) -> tuple[Delivery, PushService]:
    server_tls, client_tls = tls_contexts(certificate_name)
    service = PushService(tls=server_tls)
    row = PushSubscriptionRow(
        "P1",
        "u",
        "password",
        "d",
        f"https://localhost:{service.port}/tls",
        None,
        None,
        "c",
        True,
        0,
        None,
        0,
    )
    limits = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(verify=client_tls, limits=limits) as client:
        delivery = await PushSender(client, allow_private=True).send(row, {"a": 1}, ttl=60)
    return delivery, service


async def test_https_to_the_checked_address_keeps_the_host_for_sni_and_certificate() -> None:
    delivery, service = await _send_over_tls("localhost")
    try:
        assert delivery.outcome is Outcome.DELIVERED, delivery
        (post,) = service.posts("/tls")
        assert post.headers["host"] == f"localhost:{service.port}"
        assert "localhost" in service.server_names
    finally:
        service.close()


async def test_https_with_a_certificate_for_another_name_is_not_delivered() -> None:
    delivery, service = await _send_over_tls("push.example")
    try:
        assert delivery.outcome is Outcome.RETRY
        assert service.posts() == []
    finally:
        service.close()
