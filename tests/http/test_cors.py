"""CORS for browser clients (CONTRACT point 12): preflight without authentication, and the
allowed origin on every response, errors included."""

from __future__ import annotations

from http_support import LiveServer, MakeServer

PREFLIGHT = {
    "Origin": "https://webmail.example",
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization, content-type",
}


def test_preflight_needs_no_authentication(server: LiveServer) -> None:
    with server.client() as http:
        for path in ("/jmap/api/", "/.well-known/jmap", f"/jmap/upload/{server.alice.account_id}/"):
            response = http.options(path, headers=PREFLIGHT)
            assert response.status_code == 204
            assert response.headers["access-control-allow-origin"] == "*"
            methods = response.headers["access-control-allow-methods"]
            assert {"GET", "POST", "OPTIONS"} <= {m.strip() for m in methods.split(",")}
            allowed = response.headers["access-control-allow-headers"].lower()
            for header in ("authorization", "content-type", "accept", "last-event-id"):
                assert header in allowed
            assert int(response.headers["access-control-max-age"]) > 0
            assert "www-authenticate" not in response.headers


def test_normal_and_error_responses_carry_the_origin(server: LiveServer) -> None:
    origin = {"Origin": "https://webmail.example"}
    with server.client() as http:
        unauthorized = http.get("/.well-known/jmap", headers=origin)
        ok = http.get("/.well-known/jmap", headers={**origin, "Authorization": server.alice.basic})
    for response in (unauthorized, ok):
        assert response.headers["access-control-allow-origin"] == "*"
        exposed = response.headers["access-control-expose-headers"].lower()
        assert "content-disposition" in exposed
        assert "www-authenticate" in exposed


def test_only_configured_origins_are_allowed(make_server: MakeServer) -> None:
    server = make_server(cors_origins=["https://webmail.example"])
    with server.client() as http:
        allowed = http.options("/jmap/api/", headers=PREFLIGHT)
        other = http.options("/jmap/api/", headers={**PREFLIGHT, "Origin": "https://evil.example"})
        get = http.get(
            "/.well-known/jmap",
            headers={"Origin": "https://webmail.example", "Authorization": server.alice.basic},
        )
    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-origin"] == "https://webmail.example"
    assert "origin" in allowed.headers["vary"].lower()
    assert other.status_code == 204
    assert "access-control-allow-origin" not in other.headers
    assert get.headers["access-control-allow-origin"] == "https://webmail.example"
    assert "origin" in get.headers["vary"].lower()


def test_headers_go_without_origin_only_where_a_cache_could_reuse_the_answer(
    server: LiveServer,
) -> None:
    """A request without Origin is not a CORS request. Its answer still carries the headers
    when a cache may keep it for a later browser request (a download), not otherwise."""
    alice = server.alice
    cors = ("access-control-allow-origin", "access-control-expose-headers")
    with server.client(alice) as http:
        session = http.get("/.well-known/jmap")
        api = http.post(
            "/jmap/api/",
            json={"using": ["urn:ietf:params:jmap:core"], "methodCalls": []},
        )
        blob_id = http.post(f"/jmap/upload/{alice.account_id}/", content=b"x").json()["blobId"]
        download = http.get(f"/jmap/download/{alice.account_id}/{blob_id}/x?type=text/plain")
        api_from_browser = http.post(
            "/jmap/api/",
            json={"using": ["urn:ietf:params:jmap:core"], "methodCalls": []},
            headers={"Origin": "https://webmail.example"},
        )
    assert session.status_code == api.status_code == download.status_code == 200
    for response in (session, api):
        assert not any(name in response.headers for name in cors)
    assert "max-age" in download.headers["cache-control"]
    assert download.headers["access-control-allow-origin"] == "*"
    assert api_from_browser.headers["access-control-allow-origin"] == "*"
    assert "www-authenticate" in api_from_browser.headers["access-control-expose-headers"].lower()
