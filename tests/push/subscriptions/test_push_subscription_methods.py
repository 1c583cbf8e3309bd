"""PushSubscription/get and /set over real HTTP (RFC 8620 section 7.2), with a real local push
service receiving the PushVerification."""

from __future__ import annotations

import time
from typing import Any

from conftest import MakePushServer
from pushsub_support import Jmap, PushService, Subscriber

from satchel.auth.tokens import token_hash
from satchel.push.subscriptions.properties import parse_utc_date

MAX_SECONDS = 3 * 24 * 3600


def create(jmap: Jmap, url: str, **props: Any) -> Any:
    obj = {"deviceClientId": "device-1", "url": url, **props}
    return jmap.ok("PushSubscription/set", {"create": {"k1": obj}})


def test_create_sends_a_verification_and_only_the_code_verifies(
    make_push_server: MakePushServer, push_service: PushService
) -> None:
    server = make_push_server(push_subscription_max_seconds=MAX_SECONDS)
    alice = server.jmap(server.alice)
    before = time.time()
    result = create(alice, push_service.url("/alice"), types=["Email"])
    created = result["created"]["k1"]
    assert set(result) == {
        "created",
        "updated",
        "destroyed",
        "notCreated",
        "notUpdated",
        "notDestroyed",
    }
    assert "accountId" not in result and "newState" not in result
    sub_id = created["id"]
    # No expiry asked: the server sets its maximum and says so; keys defaulted to null.
    assert created["keys"] is None
    expires = parse_utc_date(created["expires"])
    assert before + MAX_SECONDS - 2 <= expires <= time.time() + MAX_SECONDS

    (post,) = push_service.wait_for(1, "/alice")
    assert post.headers["content-type"] == "application/json"
    assert int(post.headers["ttl"]) > 0
    message = post.json()
    assert message["@type"] == "PushVerification"
    assert message["pushSubscriptionId"] == sub_id
    code = message["verificationCode"]
    assert len(code) >= 32

    (shown,) = alice.ok("PushSubscription/get", {"ids": None})["list"]
    assert shown == {
        "id": sub_id,
        "deviceClientId": "device-1",
        "verificationCode": None,
        "expires": created["expires"],
        "types": ["Email"],
    }

    wrong = alice.ok("PushSubscription/set", {"update": {sub_id: {"verificationCode": "nope"}}})
    assert wrong["notUpdated"][sub_id]["type"] == "invalidProperties"
    assert wrong["notUpdated"][sub_id]["properties"] == ["verificationCode"]

    right = alice.ok("PushSubscription/set", {"update": {sub_id: {"verificationCode": code}}})
    assert right["updated"] == {sub_id: None}
    (shown,) = alice.ok("PushSubscription/get", {"ids": [sub_id]})["list"]
    assert shown["verificationCode"] == code


def test_get_never_returns_url_or_keys(
    make_push_server: MakePushServer, push_service: PushService, subscriber: Subscriber
) -> None:
    server = make_push_server()
    alice = server.jmap(server.alice)
    sub_id = create(alice, push_service.url(), keys=subscriber.keys)["created"]["k1"]["id"]
    result = alice.ok("PushSubscription/get", {"ids": [sub_id, "missing"]})
    assert result["notFound"] == ["missing"]
    assert "url" not in result["list"][0] and "keys" not in result["list"][0]
    assert "accountId" not in result and "state" not in result
    for forbidden in (["url"], ["id", "keys"]):
        name, error = alice.call("PushSubscription/get", {"ids": None, "properties": forbidden})
        assert (name, error["type"]) == ("error", "forbidden")
    only = alice.ok("PushSubscription/get", {"ids": None, "properties": ["types"]})
    assert only["list"] == [{"id": sub_id, "types": None}]
    name, error = alice.call("PushSubscription/get", {"ids": None, "properties": ["color"]})
    assert (name, error["type"]) == ("error", "invalidArguments")
    name, error = alice.call("PushSubscription/get", {"accountId": server.alice.account_id})
    assert (name, error["type"]) == ("error", "invalidArguments")


def test_the_verification_is_encrypted_with_the_clients_keys(
    make_push_server: MakePushServer, push_service: PushService, subscriber: Subscriber
) -> None:
    server = make_push_server()
    alice = server.jmap(server.alice)
    sub_id = create(alice, push_service.url(), keys=subscriber.keys)["created"]["k1"]["id"]
    (post,) = push_service.wait_for(1)
    assert post.headers["content-encoding"] == "aes128gcm"
    assert b"PushVerification" not in post.body
    message = subscriber.decrypt(post)
    assert message["@type"] == "PushVerification"
    assert message["pushSubscriptionId"] == sub_id


def test_expires_is_capped_on_create_and_update_and_can_be_extended(
    make_push_server: MakePushServer, push_service: PushService
) -> None:
    server = make_push_server(push_subscription_max_seconds=MAX_SECONDS)
    alice = server.jmap(server.alice)
    soon = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
    kept = create(alice, push_service.url(), expires=soon)["created"]["k1"]
    assert "expires" not in kept  # within the limit: taken as asked, nothing to report
    sub_id = kept["id"]
    (shown,) = alice.ok("PushSubscription/get", {"ids": [sub_id]})["list"]
    assert shown["expires"] == soon

    far = "2099-01-01T00:00:00Z"
    capped = create(alice, push_service.url(), expires=far)["created"]["k1"]
    assert time.time() + MAX_SECONDS - 5 <= parse_utc_date(capped["expires"])
    assert parse_utc_date(capped["expires"]) <= time.time() + MAX_SECONDS

    # Extending: capped again, and the capped value is reported in `updated`.
    extended = alice.ok("PushSubscription/set", {"update": {sub_id: {"expires": far}}})
    new_expiry = extended["updated"][sub_id]["expires"]
    assert parse_utc_date(new_expiry) > parse_utc_date(soon)
    (shown,) = alice.ok("PushSubscription/get", {"ids": [sub_id]})["list"]
    assert shown["expires"] == new_expiry
    later = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 7200))
    plain = alice.ok("PushSubscription/set", {"update": {sub_id: {"expires": later}}})
    assert plain["updated"] == {sub_id: None}

    for bad in ("2001-01-01T00:00:00Z", "tomorrow", "2099-01-01T00:00:00+01:00"):
        refused = alice.ok("PushSubscription/set", {"update": {sub_id: {"expires": bad}}})
        assert refused["notUpdated"][sub_id]["properties"] == ["expires"], bad


def test_only_verification_code_expires_and_types_change(
    make_push_server: MakePushServer, push_service: PushService, subscriber: Subscriber
) -> None:
    server = make_push_server()
    alice = server.jmap(server.alice)
    url = push_service.url()
    sub_id = create(alice, url)["created"]["k1"]["id"]
    changes: list[tuple[dict[str, Any], list[str]]] = [
        ({"url": push_service.url("/other")}, ["url"]),
        ({"keys": subscriber.keys}, ["keys"]),
        ({"deviceClientId": "device-2"}, ["deviceClientId"]),
        ({"id": "somethingElse"}, ["id"]),
        ({"color": "red"}, ["color"]),
        ({"types": "Email"}, ["types"]),
        ({"types/0": "Email"}, ["types"]),
    ]
    for patch, properties in changes:
        result = alice.ok("PushSubscription/set", {"update": {sub_id: patch}})
        error = result["notUpdated"][sub_id]
        assert (error["type"], error["properties"]) == ("invalidProperties", properties), patch
    # The current value of an immutable property is no change.
    same = {"deviceClientId": "device-1", "url": url, "keys": None, "types": ["Mailbox"]}
    assert alice.ok("PushSubscription/set", {"update": {sub_id: same}})["updated"] == {sub_id: None}
    (shown,) = alice.ok("PushSubscription/get", {"ids": [sub_id]})["list"]
    assert shown["types"] == ["Mailbox"]


def test_bad_creates_are_refused_property_by_property(
    make_push_server: MakePushServer, push_service: PushService
) -> None:
    server = make_push_server()
    alice = server.jmap(server.alice)
    url = push_service.url()
    cases: dict[str, tuple[dict[str, Any], list[str]]] = {
        "noUrl": ({"deviceClientId": "d"}, ["url"]),
        "noDevice": ({"url": url}, ["deviceClientId"]),
        "notUrl": ({"deviceClientId": "d", "url": "not a url"}, ["url"]),
        "ftp": ({"deviceClientId": "d", "url": "ftp://example.com/"}, ["url"]),
        "code": (
            {"deviceClientId": "d", "url": url, "verificationCode": "x"},
            ["verificationCode"],
        ),
        "id": ({"deviceClientId": "d", "url": url, "id": "abc"}, ["id"]),
        "keysShape": ({"deviceClientId": "d", "url": url, "keys": {"p256dh": "x"}}, ["keys"]),
        "keysValue": (
            {"deviceClientId": "d", "url": url, "keys": {"p256dh": "AAAA", "auth": "AAAA"}},
            ["keys"],
        ),
        "types": ({"deviceClientId": "d", "url": url, "types": [1]}, ["types"]),
        "unknown": ({"deviceClientId": "d", "url": url, "colour": "red"}, ["colour"]),
    }
    result = alice.ok(
        "PushSubscription/set", {"create": {cid: obj for cid, (obj, _) in cases.items()}}
    )
    assert result["created"] is None
    for cid, (_, properties) in cases.items():
        error = result["notCreated"][cid]
        assert (error["type"], error["properties"]) == ("invalidProperties", properties), cid
    assert alice.ok("PushSubscription/get", {"ids": None})["list"] == []
    assert push_service.posts() == []
    name, error = alice.call("PushSubscription/set", {"ifInState": "x", "create": {}})
    assert (name, error["type"]) == ("error", "invalidArguments")


def test_push_urls_to_internal_addresses_are_refused(
    make_push_server: MakePushServer, push_service: PushService
) -> None:
    server = make_push_server(push_allow_private_urls=False)
    alice = server.jmap(server.alice)
    port = push_service.url().split(":")[2].split("/")[0]
    urls = [
        push_service.url(),  # http is refused outright
        f"https://127.0.0.1:{port}/push",
        f"https://localhost:{port}/push",
        "https://10.1.2.3/push",
        "https://192.168.0.1/push",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/push",
        "https://[::ffff:127.0.0.1]/push",
        "https://0.0.0.0/push",
        "https://224.0.0.1/push",
    ]
    create_args = {f"u{i}": {"deviceClientId": "d", "url": u} for i, u in enumerate(urls)}
    result = alice.ok("PushSubscription/set", {"create": create_args})
    assert result["created"] is None
    for cid in create_args:
        error = result["notCreated"][cid]
        assert (error["type"], error["properties"]) == ("invalidProperties", ["url"]), cid
    assert push_service.posts() == []


def test_one_user_never_sees_or_changes_anothers_subscriptions(
    make_push_server: MakePushServer, push_service: PushService
) -> None:
    server = make_push_server()
    alice, bob = server.jmap(server.alice), server.jmap(server.bob)
    sub_id = create(alice, push_service.url("/alice"))["created"]["k1"]["id"]
    (post,) = push_service.wait_for(1, "/alice")
    code = post.json()["verificationCode"]

    assert bob.ok("PushSubscription/get", {"ids": None})["list"] == []
    assert bob.ok("PushSubscription/get", {"ids": [sub_id]})["notFound"] == [sub_id]
    result = bob.ok(
        "PushSubscription/set",
        {"update": {sub_id: {"verificationCode": code}}, "destroy": [sub_id]},
    )
    assert result["notUpdated"][sub_id]["type"] == "notFound"
    assert result["notDestroyed"][sub_id]["type"] == "notFound"
    (shown,) = alice.ok("PushSubscription/get", {"ids": None})["list"]
    assert shown["verificationCode"] is None

    gone = alice.ok("PushSubscription/set", {"destroy": [sub_id]})
    assert gone["destroyed"] == [sub_id]
    assert alice.ok("PushSubscription/get", {"ids": None})["list"] == []
    again = alice.ok("PushSubscription/set", {"destroy": [sub_id]})
    assert again["notDestroyed"][sub_id]["type"] == "notFound"


def test_creation_ids_resolve_within_the_request(
    make_push_server: MakePushServer, push_service: PushService
) -> None:
    server = make_push_server()
    alice = server.jmap(server.alice)
    response = alice.http.post(
        "/jmap/api/",
        json={
            "using": ["urn:ietf:params:jmap:core"],
            "methodCalls": [
                [
                    "PushSubscription/set",
                    {"create": {"p": {"deviceClientId": "d", "url": push_service.url()}}},
                    "c0",
                ],
                ["PushSubscription/set", {"update": {"#p": {"types": ["Email"]}}}, "c1"],
                ["PushSubscription/get", {"ids": ["#p"], "properties": ["types"]}, "c2"],
            ],
        },
    ).json()["methodResponses"]
    sub_id = response[0][1]["created"]["p"]["id"]
    assert response[1][1]["updated"] == {sub_id: None}
    assert response[2][1]["list"] == [{"id": sub_id, "types": ["Email"]}]


def test_subscriptions_survive_a_restart(
    make_push_server: MakePushServer, push_service: PushService
) -> None:
    first = make_push_server()
    alice = first.jmap(first.alice)
    sub_id = create(alice, push_service.url(), types=["Mailbox"])["created"]["k1"]["id"]
    code = push_service.wait_for(1)[0].json()["verificationCode"]
    alice.ok("PushSubscription/set", {"update": {sub_id: {"verificationCode": code}}})
    first.stop()

    second = make_push_server()
    alice = second.jmap(second.alice)
    (shown,) = alice.ok("PushSubscription/get", {"ids": None})["list"]
    assert (shown["id"], shown["verificationCode"], shown["types"]) == (sub_id, code, ["Mailbox"])


def test_subscriptions_are_tied_to_the_credentials_that_created_them(
    make_push_server: MakePushServer, push_service: PushService
) -> None:
    """Section 7.2: only subscriptions created with the request's credentials are returned,
    and revoking the credentials destroys them."""
    server = make_push_server()
    with_password = server.jmap(server.alice)
    with_token = Jmap(server.url, server.alice.bearer)
    try:
        by_password = create(with_password, push_service.url("/password"))["created"]["k1"]["id"]
        by_token = create(with_token, push_service.url("/token"))["created"]["k1"]["id"]
        listed = with_token.ok("PushSubscription/get", {"ids": None})["list"]
        assert [s["id"] for s in listed] == [by_token]
        listed = with_password.ok("PushSubscription/get", {"ids": None})["list"]
        assert [s["id"] for s in listed] == [by_password]
        refused = with_token.ok("PushSubscription/set", {"destroy": [by_password]})
        assert refused["notDestroyed"][by_password]["type"] == "notFound"
    finally:
        with_token.close()

    store = server.services.store
    store.write_sync("", lambda txn: txn.delete_token(token_hash(server.alice.token)))
    left = store.read_sync(lambda txn: txn.push_subscriptions_of_user(server.alice.user_id))
    assert [row.id for row in left] == [by_password]
