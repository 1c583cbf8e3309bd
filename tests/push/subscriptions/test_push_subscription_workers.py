"""`satchel serve --workers 2` as real processes: every worker hears every StateChange, yet each
is POSTed to a push subscription once (only the flock holder delivers)."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

from http_support import add_user
from live_server import free_port, start_serve, stop_serve
from pushsub_support import MAIL, Jmap, PushService

from satchel.store import open_store

USING = ("urn:ietf:params:jmap:core", MAIL)
SETTLE_SECONDS = 0.3


def test_two_workers_push_each_change_once(tmp_path: Path, push_service: PushService) -> None:
    data = tmp_path / "data"
    store = open_store(data)
    alice = add_user(store, "alice", "alice-password")
    store.close_sync()
    (data / "satchel.toml").write_text(
        'failed_login_delay = 0.0\nlog_level = "warning"\npush_allow_private_urls = true\n'
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = start_serve(data, f"127.0.0.1:{port}", url, workers=2)
    clients: list[Jmap] = []
    try:
        # A client per connection, so the requests spread over both workers.
        def jmap() -> Jmap:
            client = Jmap(f"http://127.0.0.1:{port}", alice.basic)
            clients.append(client)
            return client

        created = jmap().ok(
            "PushSubscription/set",
            {"create": {"s": {"deviceClientId": "d", "url": push_service.url("/w")}}},
        )
        sub_id = created["created"]["s"]["id"]
        code = push_service.wait_for(1, "/w")[0].json()["verificationCode"]
        jmap().ok("PushSubscription/set", {"update": {sub_id: {"verificationCode": code}}})

        state = ""
        for n in range(8):
            result = jmap().ok(
                "Mailbox/set",
                {"accountId": alice.account_id, "create": {"m": {"name": f"Box {n}"}}},
                USING,
            )
            state = result["newState"]
        push_service.wait_until(
            lambda r: r.json().get("changed", {}).get(alice.account_id, {}).get("Mailbox") == state,
            "/w",
        )
        time.sleep(SETTLE_SECONDS)  # a second deliverer's copy would have arrived by now
        pushed = [
            r.json()["changed"][alice.account_id]["Mailbox"]
            for r in push_service.posts("/w")
            if "changed" in r.json()
        ]
        assert pushed and pushed[-1] == state
        assert [s for s, n in Counter(pushed).items() if n > 1] == []
    finally:
        for client in clients:
            client.close()
        stop_serve(process)
