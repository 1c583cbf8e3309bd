"""End to end: a change committed through the API reaches a verified push subscription as a
StateChange POST (the real bus, the real dispatcher in the serving process, a local push
service), and nothing but the PushVerification reaches it before it is verified."""

from __future__ import annotations

import time
from typing import Any

from conftest import MakePushServer
from pushsub_support import MAIL, Jmap, PushService, Received, Subscriber

from satchel.push.subscriptions.leader import LOCK_FILE

USING = ("urn:ietf:params:jmap:core", MAIL)
# Time for the bus to carry a change to the dispatcher, so that a push which must not happen
# would have happened by then (the dispatcher tests prove the rule without waiting).
SETTLE_SECONDS = 0.3


def new_mailbox(jmap: Jmap, account_id: str, name: str) -> tuple[str, str]:
    result = jmap.ok(
        "Mailbox/set", {"accountId": account_id, "create": {"m": {"name": name}}}, USING
    )
    return str(result["created"]["m"]["id"]), str(result["newState"])


def subscribe(jmap: Jmap, url: str, **props: Any) -> str:
    result = jmap.ok(
        "PushSubscription/set",
        {"create": {"s": {"deviceClientId": "phone", "url": url, **props}}},
    )
    return str(result["created"]["s"]["id"])


def test_a_mailbox_set_reaches_the_push_service_only_after_verification(
    make_push_server: MakePushServer, push_service: PushService, subscriber: Subscriber
) -> None:
    server = make_push_server()
    alice = server.jmap(server.alice)
    account_id = server.alice.account_id
    sub_id = subscribe(alice, push_service.url("/phone"), keys=subscriber.keys)
    (verification,) = push_service.wait_for(1, "/phone")
    code = subscriber.decrypt(verification)["verificationCode"]

    new_mailbox(alice, account_id, "Before verification")
    time.sleep(SETTLE_SECONDS)
    assert push_service.posts("/phone") == [verification]

    alice.ok("PushSubscription/set", {"update": {sub_id: {"verificationCode": code}}})
    _, state = new_mailbox(alice, account_id, "After verification")

    def has_state(received: Received) -> bool:
        message = subscriber.decrypt(received)
        return bool(message.get("changed", {}).get(account_id, {}).get("Mailbox") == state)

    pushed = push_service.wait_until(has_state, "/phone")
    assert subscriber.decrypt(pushed)["@type"] == "StateChange"
    assert (server.services.settings.data_path / LOCK_FILE).exists()


def test_types_limit_what_a_subscription_hears(
    make_push_server: MakePushServer, push_service: PushService
) -> None:
    server = make_push_server()
    alice = server.jmap(server.alice)
    account_id = server.alice.account_id
    for path, types in (("/emails", ["Email"]), ("/all", None)):
        sub_id = subscribe(alice, push_service.url(path), types=types)
        code = push_service.wait_for(1, path)[0].json()["verificationCode"]
        alice.ok("PushSubscription/set", {"update": {sub_id: {"verificationCode": code}}})

    mailbox_id, state = new_mailbox(alice, account_id, "Only mailboxes change")
    push_service.wait_until(
        lambda r: r.json().get("changed", {}).get(account_id, {}).get("Mailbox") == state, "/all"
    )
    created = alice.ok(
        "Email/set",
        {
            "accountId": account_id,
            "create": {"e": {"mailboxIds": {mailbox_id: True}, "subject": "hi"}},
        },
        USING,
    )
    email_state = created["newState"]
    pushed = push_service.wait_until(lambda r: "changed" in r.json(), "/emails")
    # The Mailbox-only change was never pushed here; the Email change came with Email alone.
    assert pushed.json()["changed"] == {account_id: {"Email": email_state}}
    assert len(push_service.posts("/emails")) == 2
