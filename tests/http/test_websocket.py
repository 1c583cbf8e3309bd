"""JMAP over WebSocket (RFC 8887) against a real server with the `websockets` client library:
the Session's capability, Request -> Response with the id echoed, RequestError for bad frames,
push enabled and disabled, pushState resumption, and the upgrades that must be refused."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import orjson
import pytest
from http_support import HttpUser, LiveServer, MakeServer
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

CORE = "urn:ietf:params:jmap:core"
MAIL = "urn:ietf:params:jmap:mail"
WEBSOCKET = "urn:ietf:params:jmap:websocket"
TIMEOUT = 5


@contextmanager
def socket(
    server: LiveServer, user: HttpUser | None = None, subprotocols: list[str] | None = None
) -> Iterator[ClientConnection]:
    user = user or server.alice
    with connect(
        f"ws://127.0.0.1:{server.port}/jmap/ws/",
        subprotocols=["jmap"] if subprotocols is None else subprotocols,  # type: ignore[list-item]
        additional_headers={"Authorization": user.basic},
        open_timeout=TIMEOUT,
    ) as ws:
        yield ws


def receive(ws: ClientConnection) -> dict[str, Any]:
    frame = ws.recv(timeout=TIMEOUT)
    assert isinstance(frame, str), "JMAP frames are text"
    message: dict[str, Any] = orjson.loads(frame)
    return message


def request(ws: ClientConnection, request_id: str, *calls: list[Any]) -> None:
    ws.send(
        orjson.dumps(
            {"@type": "Request", "id": request_id, "using": [CORE, MAIL], "methodCalls": calls}
        ).decode()
    )


def http_call(server: LiveServer, method: str, **args: Any) -> dict[str, Any]:
    args.setdefault("accountId", server.alice.account_id)
    with server.client(server.alice) as http:
        body = {"using": [CORE, MAIL], "methodCalls": [[method, args, "c0"]]}
        name, result, _ = http.post("/jmap/api/", json=body).json()["methodResponses"][0]
    assert name == method, result
    return dict(result)


@pytest.fixture
def provisioned(server: LiveServer) -> LiveServer:
    http_call(server, "Mailbox/get", ids=None)
    return server


def test_the_session_advertises_the_websocket(server: LiveServer) -> None:
    with server.client(server.alice) as http:
        session = http.get("/.well-known/jmap").json()
        echoed = http.post(
            "/jmap/api/",
            json={"using": [CORE], "methodCalls": [["Core/echo", {}, "c0"]]},
        ).json()
    assert session["capabilities"][WEBSOCKET] == {
        "url": f"ws://127.0.0.1:{server.port}/jmap/ws/",
        "supportsPush": True,
    }
    # The URL depends on the address used, so it is outside the state both places compute.
    assert echoed["sessionState"] == session["state"]


def test_an_https_base_url_gives_a_wss_url(make_server: MakeServer) -> None:
    server = make_server(base_url="https://mail.example.com")
    with server.client(server.alice) as http:
        session = http.get("/.well-known/jmap").json()
    assert session["capabilities"][WEBSOCKET]["url"] == "wss://mail.example.com/jmap/ws/"
    assert session["apiUrl"] == "https://mail.example.com/jmap/api/"


def test_a_request_gets_its_response_with_the_request_id(server: LiveServer) -> None:
    with socket(server) as ws:
        assert ws.subprotocol == "jmap"
        request(ws, "R1", ["Core/echo", {"hello": True}, "c1"])
        response = receive(ws)
        assert response["@type"] == "Response"
        assert response["requestId"] == "R1"
        assert response["methodResponses"] == [["Core/echo", {"hello": True}, "c1"]]
        assert "sessionState" in response


def test_requests_in_flight_together_are_all_answered(server: LiveServer) -> None:
    with socket(server) as ws:
        for n in range(3):
            request(ws, f"R{n}", ["Core/echo", {"n": n}, "c"])
        answers = {m["requestId"]: m["methodResponses"][0][1]["n"] for m in map(receive, [ws] * 3)}
        assert answers == {"R0": 0, "R1": 1, "R2": 2}


@pytest.mark.parametrize(
    ("frame", "error_type", "request_id"),
    [
        ("not json", "notJSON", None),
        (b"\x00binary", "notJSON", None),
        ("[]", "notRequest", None),
        ('{"@type": "Nonsense"}', "notRequest", None),
        ('{"using": [], "methodCalls": []}', "notRequest", None),  # @type is required
        ('{"@type": "Request", "id": "R9", "using": "core"}', "notRequest", "R9"),
        ('{"@type": "Request", "id": 5, "using": [], "methodCalls": []}', "notRequest", None),
        ('{"@type": "WebSocketPushEnable", "dataTypes": "Email"}', "notRequest", None),
        (
            '{"@type": "Request", "id": "R8", "using": ["urn:x"], "methodCalls": []}',
            "unknownCapability",
            "R8",
        ),
    ],
)
def test_bad_frames_get_a_request_error_and_the_socket_stays_open(
    server: LiveServer, frame: str | bytes, error_type: str, request_id: str | None
) -> None:
    with socket(server) as ws:
        ws.send(frame)
        error = receive(ws)
        assert error["@type"] == "RequestError"
        assert error["type"] == f"urn:ietf:params:jmap:error:{error_type}"
        assert error["status"] == 400
        assert error["detail"]
        assert error.get("requestId") == request_id
        request(ws, "after", ["Core/echo", {}, "c"])
        assert receive(ws)["requestId"] == "after"


def test_a_frame_over_max_size_request_is_a_limit_error(server: LiveServer) -> None:
    with socket(server) as ws:
        ws.send('{"@type": "Request", "pad": "' + "x" * server.limits.max_size_request + '"}')
        error = receive(ws)
        assert error["type"] == "urn:ietf:params:jmap:error:limit"
        assert error["limit"] == "maxSizeRequest"


def test_push_enable_then_disable(provisioned: LiveServer) -> None:
    server = provisioned
    account = server.alice.account_id
    with socket(server) as ws:
        ws.send('{"@type": "WebSocketPushEnable", "dataTypes": ["Mailbox"]}')
        request(ws, "sync", ["Core/echo", {}, "c"])  # push is on once this is answered
        assert receive(ws)["requestId"] == "sync"
        created = http_call(server, "Mailbox/set", create={"m": {"name": "Pushed"}})
        change = receive(ws)
        assert change["@type"] == "StateChange"
        assert change["changed"] == {account: {"Mailbox": created["newState"]}}
        assert change["pushState"]

        # The client's own write over the socket: its Response and the StateChange both come.
        create = {"accountId": account, "create": {"m": {"name": "A"}}}
        request(ws, "w", ["Mailbox/set", create, "c"])
        kinds = sorted(receive(ws)["@type"] for _ in range(2))
        assert kinds == ["Response", "StateChange"]

        ws.send('{"@type": "WebSocketPushDisable"}')
        request(ws, "sync2", ["Core/echo", {}, "c"])
        assert receive(ws)["requestId"] == "sync2"
        http_call(server, "Mailbox/set", create={"m": {"name": "Not pushed"}})
        request(ws, "after", ["Core/echo", {}, "c"])
        assert receive(ws)["requestId"] == "after"  # no StateChange came before it


def test_push_state_resumes_what_was_missed(provisioned: LiveServer) -> None:
    server = provisioned
    with socket(server) as ws:
        ws.send('{"@type": "WebSocketPushEnable", "dataTypes": null}')
        request(ws, "sync", ["Core/echo", {}, "c"])
        receive(ws)
        http_call(server, "Mailbox/set", create={"m": {"name": "Seen"}})
        push_state = receive(ws)["pushState"]
    missed = http_call(server, "Mailbox/set", create={"m": {"name": "Missed"}})
    with socket(server) as ws:
        enable = {"@type": "WebSocketPushEnable", "dataTypes": None, "pushState": push_state}
        ws.send(orjson.dumps(enable).decode())
        change = receive(ws)  # at once, with no new commit
        assert change["changed"] == {server.alice.account_id: {"Mailbox": missed["newState"]}}
        assert change["pushState"] != push_state


def test_another_users_changes_are_not_pushed(provisioned: LiveServer) -> None:
    server = provisioned
    with socket(server, user=server.bob) as ws:
        ws.send('{"@type": "WebSocketPushEnable", "dataTypes": null}')
        request(ws, "sync", ["Core/echo", {}, "c"])
        receive(ws)
        http_call(server, "Mailbox/set", create={"m": {"name": "Alice only"}})
        request(ws, "after", ["Core/echo", {}, "c"])
        assert receive(ws)["requestId"] == "after"


def test_upgrades_that_are_refused(make_server: MakeServer) -> None:
    server = make_server(push_max_connections_per_user=1)
    with pytest.raises(InvalidStatus) as refused:
        socket(server, subprotocols=[]).__enter__()
    assert refused.value.response.status_code == 400
    with pytest.raises(InvalidStatus) as refused:
        connect(f"ws://127.0.0.1:{server.port}/jmap/ws/", subprotocols=["jmap"])  # type: ignore[list-item]
    assert refused.value.response.status_code == 401
    assert "Basic" in refused.value.response.headers["WWW-Authenticate"]
    wrong = HttpUser("alice", "wrong-password", "", "", "")
    with pytest.raises(InvalidStatus) as refused:
        socket(server, user=wrong).__enter__()
    assert refused.value.response.status_code == 401
    with socket(server), pytest.raises(InvalidStatus) as refused:
        socket(server).__enter__()  # over the per-user connection cap
    assert refused.value.response.status_code == 429


def test_a_plain_get_on_the_websocket_url_is_not_found(server: LiveServer) -> None:
    with httpx.Client(base_url=server.url) as http:
        response = http.get("/jmap/ws/")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_a_socket_whose_token_is_revoked_is_closed_with_1008(server: LiveServer) -> None:
    """RFC 8887 section 4.1: the socket lives on the credentials that opened it."""
    from websockets.exceptions import ConnectionClosed

    from satchel.auth.tokens import token_hash

    with connect(
        f"ws://127.0.0.1:{server.port}/jmap/ws/",
        subprotocols=["jmap"],  # type: ignore[list-item]
        additional_headers={"Authorization": server.alice.bearer},
        open_timeout=TIMEOUT,
    ) as ws:
        request(ws, "before", ["Core/echo", {}, "c"])
        assert receive(ws)["requestId"] == "before"
        server.store.write_sync("", lambda txn: txn.delete_token(token_hash(server.alice.token)))
        request(ws, "after", ["Core/echo", {}, "c"])
        with pytest.raises(ConnectionClosed) as closed:
            receive(ws)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
