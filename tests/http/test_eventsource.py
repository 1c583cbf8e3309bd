"""The EventSource endpoint (RFC 8620 section 7.3) over real HTTP: a change committed by another
request (or another process) arrives as a `state` event with the states /get returns; `types`,
`closeafter`, `ping` and `Last-Event-ID` do what the RFC says; nobody sees another user's changes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import orjson
import pytest
from http_support import LiveServer, MakeServer

CORE = "urn:ietf:params:jmap:core"
MAIL = "urn:ietf:params:jmap:mail"
PATH = "/jmap/eventsource/"


class Events:
    """Reads events (name, id, data) off a text/event-stream response."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._lines = response.iter_lines()

    def next(self) -> tuple[str, str | None, Any]:
        name, event_id, data = "message", None, []
        for line in self._lines:
            if line == "":
                if data:
                    return name, event_id, orjson.loads("\n".join(data))
                continue
            if line.startswith(":"):
                continue
            field, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if field == "event":
                name = value
            elif field == "id":
                event_id = value
            elif field == "data":
                data.append(value)
        raise EOFError("the stream ended")

    def state(self) -> tuple[str | None, dict[str, Any]]:
        name, event_id, data = self.next()
        assert name == "state", (name, data)
        assert data["@type"] == "StateChange"
        return event_id, data["changed"]


@contextmanager
def stream(
    server: LiveServer,
    user: Any = None,
    types: str = "*",
    closeafter: str = "no",
    ping: int = 0,
    **headers: str,
) -> Iterator[Events]:
    user = user or server.alice
    query = f"?types={types}&closeafter={closeafter}&ping={ping}"
    with (
        server.client(user) as http,
        http.stream("GET", PATH + query, headers=headers) as response,
    ):
        assert response.status_code == 200, response.read()
        yield Events(response)


def call(server: LiveServer, user: Any, method: str, **args: Any) -> dict[str, Any]:
    args.setdefault("accountId", user.account_id)
    with server.client(user) as http:
        body = {"using": [CORE, MAIL], "methodCalls": [[method, args, "c0"]]}
        response = http.post("/jmap/api/", json=body)
    name, result, _ = response.json()["methodResponses"][0]
    assert name == method, result
    return dict(result)


def new_mailbox(server: LiveServer, user: Any, name: str) -> str:
    """Creates a mailbox; the Mailbox state after it."""
    return str(call(server, user, "Mailbox/set", create={"m": {"name": name}})["newState"])


@pytest.fixture
def provisioned(server: LiveServer) -> LiveServer:
    """Alice's and Bob's role mailboxes exist before any stream opens."""
    call(server, server.alice, "Mailbox/get", ids=None)
    call(server, server.bob, "Mailbox/get", ids=None)
    return server


def test_a_commit_arrives_as_a_state_event(provisioned: LiveServer) -> None:
    server = provisioned
    with stream(server) as events:
        headers = events.response.headers
        assert headers["content-type"] == "text/event-stream"
        assert headers["cache-control"] == "no-cache"
        assert headers["x-accel-buffering"] == "no"
        state = new_mailbox(server, server.alice, "Receipts")
        event_id, changed = events.state()
        assert changed == {server.alice.account_id: {"Mailbox": state}}
        assert event_id
        # RFC 8620 section 7.1: the same state Mailbox/get returns now.
        assert call(server, server.alice, "Mailbox/get", ids=[])["state"] == state


def test_types_limit_what_is_pushed(provisioned: LiveServer) -> None:
    server = provisioned
    with stream(server, types="Email,EmailDelivery") as events:
        new_mailbox(server, server.alice, "Only a mailbox")  # no Email change: no event
        inbox = call(server, server.alice, "Mailbox/query", filter={"role": "inbox"})["ids"][0]
        created = call(
            server,
            server.alice,
            "Email/set",
            create={"e": {"mailboxIds": {inbox: True}, "subject": "hi", "bodyStructure": None}},
        )
        assert "e" in created["created"], created
        _, changed = events.state()
        # An Email/set is not a delivery (RFC 8621 section 1.5): Email only.
        assert changed == {server.alice.account_id: {"Email": created["newState"]}}


def test_closeafter_state_ends_the_response(provisioned: LiveServer) -> None:
    server = provisioned
    with stream(server, closeafter="state") as events:
        new_mailbox(server, server.alice, "Once")
        events.state()
        with pytest.raises(EOFError):
            events.next()


def test_ping_is_sent_with_the_interval(provisioned: LiveServer) -> None:
    with stream(provisioned, ping=1) as events:
        assert events.next() == ("ping", None, {"interval": 1})


def test_last_event_id_resumes_with_what_was_missed(provisioned: LiveServer) -> None:
    server = provisioned
    with stream(server) as events:
        new_mailbox(server, server.alice, "Seen")
        last_id, _ = events.state()
    assert last_id is not None
    missed = new_mailbox(server, server.alice, "Missed while away")
    with stream(server, closeafter="state", **{"Last-Event-ID": last_id}) as events:
        resumed_id, changed = events.state()  # at once, without a new commit
        assert changed == {server.alice.account_id: {"Mailbox": missed}}
    # Up to date: nothing to resend, so the first event is a ping.
    assert resumed_id is not None
    with stream(server, ping=1, **{"Last-Event-ID": resumed_id}) as events:
        assert events.next()[0] == "ping"
    # A Last-Event-ID that is not ours is ignored, not an error.
    with stream(server, ping=1, **{"Last-Event-ID": "garbage{}"}) as events:
        assert events.next()[0] == "ping"


def test_another_users_changes_never_arrive(provisioned: LiveServer) -> None:
    server = provisioned
    with stream(server, user=server.bob) as events:
        new_mailbox(server, server.alice, "Private")
        bobs = new_mailbox(server, server.bob, "Bob's own")
        _, changed = events.state()
        assert changed == {server.bob.account_id: {"Mailbox": bobs}}


def test_a_delivery_by_another_process_arrives(provisioned: LiveServer) -> None:
    """`satchel deliver` is another process: its commit crosses the bus to the server."""
    server = provisioned
    with stream(server, types="EmailDelivery") as events:
        message = b"From: bob@example.com\r\nTo: alice@example.com\r\nSubject: hi\r\n\r\nHello\r\n"
        env = {k: v for k, v in os.environ.items() if not k.startswith("SATCHEL_")}
        data = str(server.settings.data_path)
        done = subprocess.run(
            [sys.executable, "-m", "satchel", "deliver", "alice", "--data", data],
            input=message,
            capture_output=True,
            env=env,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        _, changed = events.state()
        assert list(changed[server.alice.account_id]) == ["EmailDelivery"]


def test_bad_requests_are_refused(server: LiveServer) -> None:
    with server.client() as http:
        assert http.get(PATH + "?types=*&closeafter=no&ping=0").status_code == 401
    with server.client(server.alice) as http:
        for query in ("?closeafter=maybe", "?ping=-1", "?ping=soon", "?types="):
            response = http.get(PATH + query)
            assert response.status_code == 400, query
            assert response.headers["content-type"] == "application/problem+json"
        refused = http.post(PATH)
        assert refused.status_code == 405
        assert refused.headers["allow"] == "GET"


def test_browsers_may_open_the_stream_cross_origin(provisioned: LiveServer) -> None:
    server = provisioned
    origin = {"Origin": "https://webmail.example"}
    with server.client() as http:
        preflight = http.options(PATH, headers=origin)
        assert preflight.status_code == 204
        assert preflight.headers["access-control-allow-origin"]
    with stream(server, ping=1, **origin) as events:
        assert events.response.headers["access-control-allow-origin"]
        assert events.next()[0] == "ping"


def test_connections_beyond_the_per_user_cap_are_refused(make_server: MakeServer) -> None:
    server = make_server(push_max_connections_per_user=1)
    with stream(server), server.client(server.alice) as http:
        refused = http.get(PATH)
        assert refused.status_code == 429
        assert refused.json()["limit"] == "maxPushConnections"
    with stream(server) as events:  # the slot is free again once the first one closed
        assert events.response.status_code == 200


def test_jmaplib_event_source_client(provisioned: LiveServer) -> None:
    """The real `jmaplib` EventSource client (RFC 8620 section 7.3) against our stream."""
    from jmap.client import JMAPClient
    from jmap.models.push import StateChange
    from jmap.push import EventSourceClient
    from jmap.push.eventsource import Ping

    server = provisioned
    auth = httpx.BasicAuth("alice", server.alice.password)
    with JMAPClient.connect(f"{server.url}/.well-known/jmap", auth=auth) as client:
        source = EventSourceClient(client, types=["Mailbox"], ping=1)
        events = source.events()
        try:
            opened = next(events)  # the stream is open once the first ping arrives
            assert isinstance(opened, Ping) and opened.interval == 1
            state = new_mailbox(server, server.alice, "Seen by jmaplib")
            change = next(e for e in events if not isinstance(e, Ping))
            assert isinstance(change, StateChange)
            assert change.states_for(server.alice.account_id) == {"Mailbox": state}
        finally:
            events.close()
        assert source.last_event_id  # the id of our state event, for its next reconnect


async def test_a_stream_that_cannot_write_coalesces_instead_of_queueing() -> None:
    """A client that never reads blocks its stream's send; meanwhile the changes of each
    account fold into one pending entry (newest state wins), and what is finally written is
    the newest state, not a backlog of every commit."""
    import asyncio

    from satchel.core.state import encode_state
    from satchel.http.eventsource import Sender
    from satchel.push.eventsource import StreamParameters
    from satchel.push.hub import Hub
    from satchel.push.pushstate import Floor, PushTracker

    hub = Hub()
    listener = hub.listen(["a", "b"])
    written: list[bytes] = []
    unblock = asyncio.Event()

    async def send(message: Any) -> None:
        await unblock.wait()  # the client's window is full
        written.append(message["body"])

    sender = Sender(listener, send, StreamParameters(None, False, 0), Floor({}), PushTracker({}))
    sender.start()
    hub.dispatch("a", {"Email": 1})
    await asyncio.sleep(0)  # the first event is now stuck in send
    for modseq in range(2, 1000):
        hub.dispatch("a", {"Email": modseq, "Mailbox": modseq})
        hub.dispatch("b", {"Thread": modseq})
    assert listener.pending_count() == 2  # two accounts, whatever the number of commits
    hub.dispatch("a", {"Email": 1000})
    unblock.set()
    while sender.task is not None:
        await asyncio.sleep(0)
    assert len(written) == 2  # the stuck first event, then one with everything since
    last = orjson.loads(written[-1].split(b"data: ")[1])
    assert last["changed"] == {
        "a": {"Email": encode_state(1000, "Email"), "Mailbox": encode_state(999, "Mailbox")},
        "b": {"Thread": encode_state(999, "Thread")},
    }
    sender.stop()


def test_satchel_serve_ends_open_streams_when_told_to_stop(tmp_path: Any) -> None:
    """uvicorn waits up to 30 s for in-flight responses on SIGTERM, and a stream never ends by
    itself: the push bus closes its listeners on the signal, so streams end and the server exits
    at once (workers=2: the streams live in the worker processes)."""
    import signal
    import socket
    import time

    from http_support import add_user

    from satchel.store import open_store

    data = tmp_path / "data"
    store = open_store(data)
    alice = add_user(store, "alice", "alice-secret-password")
    store.close_sync()
    (data / "satchel.toml").write_text('failed_login_delay = 0.0\nlog_level = "warning"\n')
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SATCHEL_")}
    serve = [sys.executable, "-m", "satchel", "serve", "--data", str(data), "--lmtp", "off"]
    process = subprocess.Popen(
        [*serve, "--listen", f"127.0.0.1:{port}", "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/.well-known/jmap", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
        with (
            httpx.Client(base_url=url, headers=alice.headers(), timeout=10) as http,
            http.stream("GET", PATH + "?types=*&closeafter=no&ping=0") as response,
        ):
            lines = response.iter_lines()
            assert next(lines).startswith(":")  # the stream is open
            stopping = time.monotonic()
            process.send_signal(signal.SIGTERM)
            assert list(lines) == [""]  # then it ends, with nothing more
        process.communicate(timeout=20)
        assert time.monotonic() - stopping < 10
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
