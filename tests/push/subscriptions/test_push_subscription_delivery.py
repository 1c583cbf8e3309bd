"""Delivering StateChanges to push subscriptions (RFC 8620 sections 7.1, 7.2): the dispatcher
fed StateChanges directly, over a real store, POSTing over real HTTP to a local push service."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from pushsub_support import HANG, PushService, Subscriber

from satchel.push.bus import StateChange
from satchel.push.subscriptions.dispatcher import DeliveryPolicy, Dispatcher
from satchel.push.subscriptions.sender import PushSender, new_http_client
from satchel.store.base import Store, WriteTxn
from satchel.store.push_base import PushSubscriptionRow

FAST = DeliveryPolicy(first_retry=0.02, max_retry=0.1, max_attempts=4, throttle_step=0.02)


@dataclass
class Setup:
    store: Store
    dispatcher: Dispatcher
    alice: tuple[str, str]  # user id, account id
    bob: tuple[str, str]
    count: int = 0

    def subscribe(
        self,
        url: str,
        *,
        verified: bool = True,
        types: tuple[str, ...] | None = None,
        keys: dict[str, str] | None = None,
        expires_in: float = 3600,
        user: tuple[str, str] | None = None,
    ) -> str:
        self.count += 1
        row = PushSubscriptionRow(
            id=f"P{self.count}",
            user_id=(user or self.alice)[0],
            credential="password",
            device_client_id="device",
            url=url,
            p256dh=None if keys is None else keys["p256dh"],
            auth=None if keys is None else keys["auth"],
            verification_code="code",
            verified=verified,
            expires=time.time() + expires_in,
            types=types,
            created_at=time.time(),
        )
        self.store.write_sync("", lambda txn: txn.create_push_subscription(row))
        return row.id

    def exists(self, subscription_id: str) -> bool:
        found = self.store.read_sync(lambda txn: txn.push_subscription(subscription_id))
        return found is not None

    async def change(self, changed: dict[str, str], account: tuple[str, str] | None = None) -> None:
        await self.dispatcher.handle(StateChange((account or self.alice)[1], changed))

    async def idle(self) -> None:
        """Until every target has finished (delivered, dropped or given up)."""
        async with asyncio.timeout(10):
            while self.dispatcher.active_targets:
                await asyncio.sleep(0.005)


def _user(store: Store, name: str) -> tuple[str, str]:
    user, _ = store.write_sync("", lambda txn: txn.create_user(name, "not-a-hash", None))
    account = store.read_sync(lambda txn: txn.accounts_for_user(user.id))[0]
    return user.id, account.id


@pytest.fixture
async def setup(store: Store) -> AsyncIterator[Setup]:
    async with new_http_client() as client:
        dispatcher = Dispatcher(store, PushSender(client, allow_private=True), FAST)
        yield Setup(store, dispatcher, _user(store, "alice"), _user(store, "bob"))
        await dispatcher.stop()


async def posts(service: PushService, count: int, path: str) -> list[dict[str, object]]:
    received = await asyncio.to_thread(service.wait_for, count, path)
    return [r.json() for r in received]


async def test_only_verified_unexpired_subscriptions_of_the_accounts_user_get_it(
    setup: Setup, push_service: PushService
) -> None:
    setup.subscribe(push_service.url("/verified"))
    setup.subscribe(push_service.url("/unverified"), verified=False)
    setup.subscribe(push_service.url("/expired"), expires_in=-1)
    setup.subscribe(push_service.url("/bob"), user=setup.bob)
    await setup.change({"Email": "s1", "Mailbox": "m1"})
    (body,) = await posts(push_service, 1, "/verified")
    assert body == {
        "@type": "StateChange",
        "changed": {setup.alice[1]: {"Email": "s1", "Mailbox": "m1"}},
    }
    await setup.idle()
    assert [r.path for r in push_service.posts()] == ["/verified"]
    post = push_service.posts()[0]
    assert post.headers["content-type"] == "application/json"
    assert int(post.headers["ttl"]) > 0
    assert post.headers["urgency"] == "normal"


async def test_subscriptions_made_verified_or_destroyed_between_commits_count_at_once(
    setup: Setup, push_service: PushService
) -> None:
    """The dispatcher remembers an account's subscriptions between commits; every change to
    them must still count from the next commit on."""
    await setup.change({"Email": "s1"})  # remembered: none
    first = setup.subscribe(push_service.url("/first"), verified=False)
    await setup.change({"Email": "s2"})  # not verified yet: nothing
    await setup.idle()
    assert push_service.posts() == []

    def verify(txn: WriteTxn) -> bool:
        return txn.update_push_subscription(
            first, verified=True, expires=time.time() + 3600, types=None
        )

    setup.store.write_sync("", verify)
    await setup.change({"Email": "s3"})
    (body,) = await posts(push_service, 1, "/first")
    assert body["changed"] == {setup.alice[1]: {"Email": "s3"}}
    await setup.idle()
    setup.store.write_sync("", lambda txn: txn.delete_push_subscription(first))
    setup.subscribe(push_service.url("/second"))
    await setup.change({"Email": "s4"})
    (body,) = await posts(push_service, 1, "/second")
    assert body["changed"] == {setup.alice[1]: {"Email": "s4"}}
    await setup.idle()
    assert [r.path for r in push_service.posts()] == ["/first", "/second"]


async def test_types_filter_what_is_sent(setup: Setup, push_service: PushService) -> None:
    setup.subscribe(push_service.url("/mailbox"), types=("Mailbox",))
    await setup.change({"Email": "s1"})
    await setup.idle()
    assert push_service.posts() == []
    await setup.change({"Email": "s2", "Mailbox": "m2"})
    (body,) = await posts(push_service, 1, "/mailbox")
    assert body["changed"] == {setup.alice[1]: {"Mailbox": "m2"}}


async def test_with_keys_the_body_is_aes128gcm_for_the_subscriber(
    setup: Setup, push_service: PushService, subscriber: Subscriber
) -> None:
    setup.subscribe(push_service.url("/secret"), keys=subscriber.keys)
    await setup.change({"Email": "s1"})
    (post,) = await asyncio.to_thread(push_service.wait_for, 1, "/secret")
    assert post.headers["content-encoding"] == "aes128gcm"
    assert b"StateChange" not in post.body
    assert subscriber.decrypt(post) == {
        "@type": "StateChange",
        "changed": {setup.alice[1]: {"Email": "s1"}},
    }


async def test_a_500_is_retried_with_the_same_change(
    setup: Setup, push_service: PushService
) -> None:
    sub_id = setup.subscribe(push_service.url("/flaky"))
    push_service.script(500, (503, {"Retry-After": "0"}), path="/flaky")
    await setup.change({"Email": "s1"})
    bodies = await posts(push_service, 3, "/flaky")
    assert bodies[0] == bodies[1] == bodies[2]
    await setup.idle()
    assert len(push_service.posts("/flaky")) == 3
    assert setup.exists(sub_id)


async def test_a_410_destroys_the_subscription(setup: Setup, push_service: PushService) -> None:
    sub_id = setup.subscribe(push_service.url("/gone"))
    push_service.script(410, path="/gone")
    await setup.change({"Email": "s1"})
    await posts(push_service, 1, "/gone")
    await setup.idle()
    assert not setup.exists(sub_id)
    await setup.change({"Email": "s2"})
    await setup.idle()
    assert len(push_service.posts("/gone")) == 1


async def test_persistent_failure_destroys_the_subscription(
    setup: Setup, push_service: PushService
) -> None:
    sub_id = setup.subscribe(push_service.url("/down"))
    push_service.script(*[500] * FAST.max_attempts, path="/down")
    await setup.change({"Email": "s1"})
    await posts(push_service, FAST.max_attempts, "/down")
    await setup.idle()
    assert not setup.exists(sub_id)
    assert len(push_service.posts("/down")) == FAST.max_attempts


async def test_changes_during_a_slow_post_are_coalesced_into_one(
    setup: Setup, push_service: PushService
) -> None:
    setup.subscribe(push_service.url("/slow"))
    push_service.script(HANG, path="/slow")
    await setup.change({"Email": "s1"})
    await posts(push_service, 1, "/slow")
    for state in ("s2", "s3", "s4"):
        await setup.change({"Email": state})
    await setup.change({"Mailbox": "m1"})
    push_service.release.set()
    bodies = await posts(push_service, 2, "/slow")
    assert bodies[1]["changed"] == {setup.alice[1]: {"Email": "s4", "Mailbox": "m1"}}
    await setup.idle()
    assert len(push_service.posts("/slow")) == 2


async def test_a_hanging_push_url_does_not_delay_the_others(
    setup: Setup, push_service: PushService
) -> None:
    setup.subscribe(push_service.url("/hang"))
    setup.subscribe(push_service.url("/fast"))
    push_service.script(HANG, path="/hang")
    await setup.change({"Email": "s1"})
    await posts(push_service, 1, "/hang")
    # The hanging POST is still open; the other subscription gets this change and the next.
    await posts(push_service, 1, "/fast")
    await setup.change({"Email": "s2"})
    bodies = await posts(push_service, 2, "/fast")
    assert bodies[1]["changed"] == {setup.alice[1]: {"Email": "s2"}}
    assert len(push_service.posts("/hang")) == 1


async def test_a_subscription_destroyed_while_retrying_gets_nothing_more(
    setup: Setup, push_service: PushService
) -> None:
    sub_id = setup.subscribe(push_service.url("/retrying"))
    push_service.script(500, path="/retrying")
    await setup.change({"Email": "s1"})
    await posts(push_service, 1, "/retrying")
    setup.store.write_sync("", lambda txn: txn.delete_push_subscription(sub_id))
    await setup.idle()
    assert len(push_service.posts("/retrying")) == 1


async def test_a_429_waits_at_least_its_retry_after(
    setup: Setup, push_service: PushService
) -> None:
    setup.subscribe(push_service.url("/busy"))
    push_service.script((429, {"Retry-After": "1"}), path="/busy")
    await setup.change({"Email": "s1"})
    await posts(push_service, 2, "/busy")
    first, second = push_service.posts("/busy")
    assert second.at - first.at >= 0.9
    assert second.body == first.body


async def test_the_address_is_checked_again_at_send_time(
    store: Store, push_service: PushService
) -> None:
    """A URL that passed at creation but now resolves to an internal address (DNS rebinding)
    gets nothing: here the address is loopback and private addresses are not allowed."""
    async with new_http_client() as client:
        dispatcher = Dispatcher(store, PushSender(client, allow_private=False), FAST)
        setup = Setup(store, dispatcher, _user(store, "alice"), _user(store, "bob"))
        sub_id = setup.subscribe(push_service.url("/rebound"))
        await setup.change({"Email": "s1"})
        await setup.idle()
    assert push_service.posts() == []
    assert not setup.exists(sub_id)  # failed every attempt: given up on


def test_expired_subscriptions_are_purged(store: Store) -> None:
    user_id, _ = _user(store, "carol")
    for sub_id, expires in (("old", time.time() - 1), ("new", time.time() + 60)):
        row = PushSubscriptionRow(
            sub_id,
            user_id,
            "password",
            "d",
            "https://push.example/",
            None,
            None,
            "c",
            True,
            expires,
            None,
            0,
        )
        store.write_sync("", lambda txn, row=row: txn.create_push_subscription(row))
    purged, _ = store.write_sync("", lambda txn: txn.purge_expired_push_subscriptions(time.time()))
    assert purged == 1
    remaining = store.read_sync(lambda txn: txn.push_subscriptions_of_user(user_id))
    assert [row.id for row in remaining] == ["new"]
