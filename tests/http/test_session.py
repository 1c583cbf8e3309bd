"""Session discovery over HTTP: RFC 8620 section 2 and 2.2, CONTRACT points 1-3."""

from __future__ import annotations

import base64
import time

from http_support import CORE, LiveServer, MakeServer

SESSION_CACHE_CONTROL = "no-cache, no-store, must-revalidate"


def test_well_known_gives_session_with_basic_auth(server: LiveServer) -> None:
    with server.client(server.alice) as http:
        response = http.get("/.well-known/jmap")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == SESSION_CACHE_CONTROL
    session = response.json()
    assert session["username"] == "alice"
    assert session["apiUrl"] == f"{server.url}/jmap/api/"
    assert session["uploadUrl"] == f"{server.url}/jmap/upload/{{accountId}}/"
    assert session["downloadUrl"].startswith(f"{server.url}/jmap/download/{{accountId}}/")
    assert session["eventSourceUrl"].startswith(f"{server.url}/jmap/eventsource/")
    assert session["primaryAccounts"][CORE] == server.alice.account_id
    assert list(session["accounts"]) == [server.alice.account_id]


def test_bearer_token_gives_the_same_session(server: LiveServer) -> None:
    with server.client() as http:
        basic = http.get("/.well-known/jmap", headers={"Authorization": server.alice.basic})
        bearer = http.get("/.well-known/jmap", headers={"Authorization": server.alice.bearer})
    assert bearer.status_code == 200
    assert bearer.json() == basic.json()


def test_get_on_api_url_gives_session(server: LiveServer) -> None:
    with server.client(server.bob) as http:
        response = http.get("/jmap/api/")
    assert response.status_code == 200
    assert response.headers["cache-control"] == SESSION_CACHE_CONTROL
    assert response.json()["username"] == "bob"


def test_failed_logins_are_401_with_challenge_and_identical_bodies(server: LiveServer) -> None:
    bad_password = basic_header("alice", "wrong")
    unknown_user = basic_header("mallory", "wrong")
    answers = []
    with server.client() as http:
        for headers in (
            {},
            {"Authorization": bad_password},
            {"Authorization": unknown_user},
            {"Authorization": "Bearer stl_not-a-real-token"},
            {"Authorization": "Digest whatever"},
        ):
            for path in ("/.well-known/jmap", "/jmap/api/"):
                answers.append(http.get(path, headers=headers))
            answers.append(http.post("/jmap/api/", headers=headers, content=b"{}"))
    for response in answers:
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        challenge = response.headers["www-authenticate"]
        assert "Basic realm=" in challenge
        assert "Bearer realm=" in challenge
    bodies = {response.content for response in answers}
    assert len(bodies) == 1, "a 401 must not reveal whether the user exists"
    assert "mallory" not in answers[0].text


def basic_header(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def test_forwarded_headers_from_a_trusted_proxy_set_the_urls(make_server: MakeServer) -> None:
    server = make_server(trusted_proxies=["127.0.0.1"])
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "mail.example.com"}
    with server.client(server.alice) as http:
        session = http.get("/.well-known/jmap", headers=headers).json()
    assert session["apiUrl"] == "https://mail.example.com/jmap/api/"
    assert session["uploadUrl"] == "https://mail.example.com/jmap/upload/{accountId}/"
    assert session["downloadUrl"].startswith("https://mail.example.com/jmap/download/")
    assert session["eventSourceUrl"].startswith("https://mail.example.com/jmap/eventsource/")


def test_trusted_proxy_may_be_a_network_or_any(make_server: MakeServer) -> None:
    for trusted in (["10.0.0.0/8", "127.0.0.0/8"], ["*"]):
        server = make_server(trusted_proxies=trusted)
        headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "proxy.example:8443"}
        with server.client(server.alice) as http:
            session = http.get("/.well-known/jmap", headers=headers).json()
        assert session["apiUrl"] == "https://proxy.example:8443/jmap/api/"


def test_forwarded_headers_from_an_untrusted_peer_are_ignored(make_server: MakeServer) -> None:
    for trusted in ([], ["10.1.2.3", "192.168.0.0/16"]):
        server = make_server(trusted_proxies=trusted)
        headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"}
        with server.client(server.alice) as http:
            session = http.get("/.well-known/jmap", headers=headers).json()
        assert session["apiUrl"] == f"{server.url}/jmap/api/"
        assert "evil" not in str(session)


def test_configured_base_url_overrides_everything(make_server: MakeServer) -> None:
    server = make_server(base_url="https://jmap.example.org/", trusted_proxies=["*"])
    headers = {"X-Forwarded-Host": "other.example"}
    with server.client(server.alice) as http:
        session = http.get("/.well-known/jmap", headers=headers).json()
    assert session["apiUrl"] == "https://jmap.example.org/jmap/api/"


def test_a_host_header_that_is_not_a_host_is_refused(server: LiveServer) -> None:
    with server.client(server.alice) as http:
        response = http.get("/.well-known/jmap", headers={"Host": "evil.example/{x}"})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


def test_unknown_route_and_wrong_method_are_problems(server: LiveServer) -> None:
    with server.client(server.alice) as http:
        missing = http.get("/nope")
        wrong = http.put("/jmap/api/", content=b"{}")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["status"] == 404
    assert wrong.status_code == 405
    assert wrong.headers["content-type"] == "application/problem+json"
    assert "POST" in wrong.headers["allow"]


def test_session_state_stays_put_while_the_clock_moves(server: LiveServer) -> None:
    # FUTURERELEASE advertises "now + interval" (RFC 4865 section 3), which moves every second;
    # the state must not, or every API response's sessionState would send clients refetching.
    submission = "urn:ietf:params:jmap:submission"
    with server.client(server.alice) as http:
        first = http.get("/.well-known/jmap").json()
        time.sleep(1.1)
        second = http.get("/.well-known/jmap").json()
        response = http.post(
            "/jmap/api/", json={"using": [CORE], "methodCalls": [["Core/echo", {}, "0"]]}
        ).json()
    assert second["state"] == first["state"] == response["sessionState"]
    releases = [
        session["accounts"][server.alice.account_id]["accountCapabilities"][submission][
            "submissionExtensions"
        ]["FUTURERELEASE"]
        for session in (first, second)
    ]
    assert releases[0][0] == releases[1][0]
    assert releases[0][1] < releases[1][1]  # the latest release date is served fresh
