"""The API endpoint over HTTP: RFC 8620 section 3.1 (POST to apiUrl) and every request-level
error of section 3.6.1 as application/problem+json with the right status."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import orjson
from http_support import CORE, LiveServer, MakeServer, echo_request, refused_while_busy

from satchel.core.limits import CoreLimits

PROBLEM = "application/problem+json"
ERROR = "urn:ietf:params:jmap:error:"


def assert_problem(response: httpx.Response, status: int, type: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, object] = response.json()
    assert body["type"] == ERROR + type
    assert body["status"] == status
    return body


def test_core_echo(server: LiveServer) -> None:
    arguments = {"hello": True, "high": 5, "nested": {"list": [1, "two", None]}}
    with server.client(server.alice) as http:
        response = http.post("/jmap/api/", json=echo_request(**arguments))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["methodResponses"] == [["Core/echo", arguments, "c0"]]
    assert isinstance(body["sessionState"], str)


def test_core_echo_with_bearer_and_charset(server: LiveServer) -> None:
    headers = {
        "Authorization": server.alice.bearer,
        "Content-Type": "application/json; charset=utf-8",
    }
    with server.client() as http:
        response = http.post("/jmap/api/", content=orjson.dumps(echo_request(a=1)), headers=headers)
    assert response.status_code == 200
    assert response.json()["methodResponses"][0][1] == {"a": 1}


def test_session_state_in_response_matches_session(server: LiveServer) -> None:
    with server.client(server.alice) as http:
        session = http.get("/.well-known/jmap").json()
        response = http.post("/jmap/api/", json=echo_request()).json()
    assert response["sessionState"] == session["state"]


def test_unknown_method_is_a_method_error_not_a_request_error(server: LiveServer) -> None:
    request = {"using": [CORE], "methodCalls": [["Nope/nope", {}, "x"]]}
    with server.client(server.alice) as http:
        response = http.post("/jmap/api/", json=request)
    assert response.status_code == 200
    [[name, arguments, call_id]] = response.json()["methodResponses"]
    assert (name, arguments["type"], call_id) == ("error", "unknownMethod", "x")


def test_not_json(server: LiveServer) -> None:
    with server.client(server.alice) as http:
        garbage = http.post(
            "/jmap/api/", content=b"{not json", headers={"Content-Type": "application/json"}
        )
        wrong_type = http.post(
            "/jmap/api/",
            content=orjson.dumps(echo_request()),
            headers={"Content-Type": "text/plain"},
        )
        no_type = http.post("/jmap/api/", content=orjson.dumps(echo_request()))
        latin1 = http.post(
            "/jmap/api/",
            content=orjson.dumps(echo_request()),
            headers={"Content-Type": "application/json; charset=iso-8859-1"},
        )
    for response in (garbage, wrong_type, no_type, latin1):
        assert_problem(response, 400, "notJSON")


def test_not_request(server: LiveServer) -> None:
    with server.client(server.alice) as http:
        for body in ([1, 2], {"using": [CORE]}, {"using": "x", "methodCalls": []}):
            assert_problem(http.post("/jmap/api/", json=body), 400, "notRequest")


def test_unknown_capability(server: LiveServer) -> None:
    request = {"using": [CORE, "urn:example:nope"], "methodCalls": [["Core/echo", {}, "c"]]}
    with server.client(server.alice) as http:
        body = assert_problem(http.post("/jmap/api/", json=request), 400, "unknownCapability")
    assert "urn:example:nope" in str(body["detail"])


def test_max_calls_in_request(server: LiveServer) -> None:
    calls = [["Core/echo", {}, f"c{i}"] for i in range(server.limits.max_calls_in_request + 1)]
    with server.client(server.alice) as http:
        response = http.post("/jmap/api/", json={"using": [CORE], "methodCalls": calls})
    body = assert_problem(response, 400, "limit")
    assert body["limit"] == "maxCallsInRequest"


def big_request(size: int) -> bytes:
    body = orjson.dumps(echo_request(pad="x" * size))
    assert len(body) > size
    return body


def test_max_size_request_by_content_length(make_server: MakeServer) -> None:
    server = make_server(CoreLimits(max_size_request=10_000))
    with server.client(server.alice) as http:
        headers = {"Content-Type": "application/json"}
        response = http.post("/jmap/api/", content=big_request(10_000), headers=headers)
        assert_problem(response, 413, "limit")
        assert response.json()["limit"] == "maxSizeRequest"
        # The connection stays usable and a request at the limit still works.
        ok = http.post("/jmap/api/", content=big_request(9_900), headers=headers)
    assert ok.status_code == 200


def chunks(data: bytes, size: int = 4096) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def test_max_size_request_chunked_without_content_length(make_server: MakeServer) -> None:
    server = make_server(CoreLimits(max_size_request=10_000))
    headers = {"Content-Type": "application/json"}
    with server.client(server.alice) as http:
        response = http.post("/jmap/api/", content=chunks(big_request(50_000)), headers=headers)
        assert "content-length" not in response.request.headers
        assert_problem(response, 413, "limit")
        ok = http.post("/jmap/api/", content=chunks(orjson.dumps(echo_request())), headers=headers)
    assert ok.status_code == 200


def raw_http(port: int, head: bytes, body: bytes = b"") -> bytes:
    """Send a request byte for byte. A server that refuses on the head alone may answer and
    close before the body is sent; the body then goes only if no answer came, because bytes
    arriving at a closed socket make it reset the connection, losing the answer in flight."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head)
        sock.settimeout(0.5)
        try:
            received = sock.recv(65536)
        except TimeoutError:
            received = b""
        sock.settimeout(10)
        if not received:
            sock.sendall(body)
            sock.shutdown(socket.SHUT_WR)
        while chunk := sock.recv(65536):
            received += chunk
    return received


def test_max_size_request_with_a_lying_content_length(make_server: MakeServer) -> None:
    """A Content-Length claiming a small body next to a chunked one that is large: the chunked
    framing wins (RFC 9112 section 6.3) or the request is refused; never a 200, never a 500."""
    server = make_server(CoreLimits(max_size_request=10_000))
    payload = big_request(50_000)
    body = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks(payload)) + b"0\r\n\r\n"
    head = (
        b"POST /jmap/api/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        b"Authorization: " + server.alice.basic.encode() + b"\r\n"
        b"Content-Type: application/json\r\nContent-Length: 20\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    answer = raw_http(server.port, head, body)
    status_line = answer.split(b"\r\n", 1)[0]
    assert status_line.split()[1] in (b"400", b"413"), answer[:300]


def test_max_concurrent_requests(make_server: MakeServer) -> None:
    """A second in-flight API request of a user is refused with 429 while the first one is
    still sending its body; other users are not affected; afterwards the slot is free again."""
    server = make_server(CoreLimits(max_concurrent_requests=1))
    others: list[int] = []

    def probe(http: httpx.Client) -> httpx.Response:
        response = http.post("/jmap/api/", json=echo_request())
        if response.status_code == 429:
            with server.client(server.bob) as other:
                others.append(other.post("/jmap/api/", json=echo_request()).status_code)
        return response

    refused, first = refused_while_busy(
        server,
        server.alice,
        "/jmap/api/",
        orjson.dumps(echo_request(slow=True)),
        probe,
        headers={"Content-Type": "application/json"},
    )
    assert assert_problem(refused, 429, "limit")["limit"] == "maxConcurrentRequests"
    assert others[-1] == 200
    assert first.status_code == 200
    assert first.json()["methodResponses"][0][1] == {"slow": True}
    with server.client(server.alice) as http:
        assert http.post("/jmap/api/", json=echo_request()).status_code == 200
