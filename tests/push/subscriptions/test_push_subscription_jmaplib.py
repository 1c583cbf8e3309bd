"""The real `jmaplib` client (package `jmap`) against Satchel: it creates a PushSubscription with
Web Push keys, reads the PushVerification and then a StateChange with its own RFC 8291 decryptor
(`read_push`, an implementation independent of the one Satchel encrypts with), verifies, and
reads the subscription back through its strict models."""

from __future__ import annotations

import httpx
from conftest import MakePushServer
from jmap.client import JMAPClient
from jmap.models.push import PushVerification, StateChange
from jmap.push.webpush import PushKeyPair, read_push
from pushsub_support import PushService, Received

MAIL = "urn:ietf:params:jmap:mail"


def test_jmaplib_subscribes_verifies_and_decrypts_what_is_pushed(
    make_push_server: MakePushServer, push_service: PushService
) -> None:
    server = make_push_server()
    keys = PushKeyPair.generate()
    url = f"{server.url}/.well-known/jmap"
    auth = httpx.BasicAuth("alice", server.alice.password)
    with JMAPClient.connect(url, auth=auth) as client:
        creation = {
            "deviceClientId": "jmaplib-device",
            "url": push_service.url("/jmaplib"),
            "keys": keys.keys.to_wire(),
            "types": ["Mailbox"],
        }
        created = client.call("PushSubscription/set", {"create": {"c": creation}})
        sub_id = created.created["c"].id
        assert created.created["c"].expires

        (post,) = push_service.wait_for(1, "/jmaplib")
        verification = read_push(post.body, keys)
        assert isinstance(verification, PushVerification)
        assert verification.push_subscription_id == sub_id
        code = verification.verification_code
        updated = client.call(
            "PushSubscription/set", {"update": {sub_id: {"verificationCode": code}}}
        )
        assert sub_id in updated.updated

        (listed,) = client.call("PushSubscription/get", {"ids": None}).items
        assert (listed.id, listed.device_client_id) == (sub_id, "jmaplib-device")
        assert (listed.verification_code, listed.types, listed.url) == (code, ["Mailbox"], None)

    mailbox = server.jmap(server.alice).ok(
        "Mailbox/set",
        {"accountId": server.alice.account_id, "create": {"m": {"name": "Pushed"}}},
        ("urn:ietf:params:jmap:core", MAIL),
    )

    account_id, state = server.alice.account_id, mailbox["newState"]

    def carries_the_new_state(received: Received) -> bool:
        pushed = read_push(received.body, keys)
        return isinstance(pushed, StateChange) and pushed.changed.get(account_id) == {
            "Mailbox": state
        }

    # Earlier changes (the account's role mailboxes) may have been pushed before this one.
    push_service.wait_until(carries_the_new_state, "/jmaplib")
