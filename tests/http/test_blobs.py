"""Upload and download over HTTP: RFC 8620 sections 6.1 and 6.2, CONTRACT point 4."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from urllib.parse import quote

import httpx
from http_support import LiveServer, MakeServer, refused_while_busy

from satchel.core.limits import CoreLimits

PROBLEM = "application/problem+json"


def upload(
    http: httpx.Client, account_id: str, data: bytes, content_type: str | None = None
) -> httpx.Response:
    headers = {"Content-Type": content_type} if content_type is not None else {}
    return http.post(f"/jmap/upload/{account_id}/", content=data, headers=headers)


def download_path(account_id: str, blob_id: str, name: str, type: str) -> str:
    # RFC 6570 level 1 expansion, as a client fills the downloadUrl template.
    return (
        f"/jmap/download/{quote(account_id, safe='')}/{quote(blob_id, safe='')}/"
        f"{quote(name, safe='')}?type={quote(type, safe='')}"
    )


def blob_files(server: LiveServer) -> list[str]:
    return list(server.store.blobs.all_ids())


def test_upload_then_download_round_trip(server: LiveServer) -> None:
    data = b"%PDF-1.7 not really a pdf\n" + bytes(range(256)) * 40
    alice = server.alice
    with server.client(alice) as http:
        response = upload(http, alice.account_id, data, "application/pdf")
        assert response.status_code == 201
        assert response.headers["content-type"] == "application/json"
        blob = response.json()
        assert blob == {
            "accountId": alice.account_id,
            "blobId": blob["blobId"],
            "type": "application/pdf",
            "size": len(data),
        }
        session = http.get("/.well-known/jmap").json()
        url = (
            session["downloadUrl"]
            .replace("{accountId}", alice.account_id)
            .replace("{blobId}", blob["blobId"])
            .replace("{name}", quote('Résumé 2026 "final".pdf', safe=""))
            .replace("{type}", quote("text/plain", safe=""))
        )
        got = http.get(url)
    assert got.status_code == 200
    assert got.content == data
    # Exactly the type asked for: no charset added to a text/ type.
    assert got.headers["content-type"] == "text/plain"
    assert got.headers["content-length"] == str(len(data))
    disposition = got.headers["content-disposition"]
    assert disposition.startswith("attachment; ")
    assert "filename*=UTF-8''R%C3%A9sum%C3%A9%202026%20%22final%22.pdf" in disposition
    assert 'filename="R_sum_ 2026 _final_.pdf"' in disposition
    assert got.headers["cache-control"] == "private, immutable, max-age=31536000"
    assert got.headers["etag"] == f'"{blob["blobId"]}"'
    assert got.headers["x-content-type-options"] == "nosniff"


def test_download_type_is_exact_including_parameters_and_plus(server: LiveServer) -> None:
    alice = server.alice
    with server.client(alice) as http:
        blob_id = upload(http, alice.account_id, b"<svg/>", "image/svg+xml").json()["blobId"]
        for requested in ("image/svg+xml", "text/html; charset=iso-8859-1", "x-custom/odd.type"):
            got = http.get(download_path(alice.account_id, blob_id, "a.svg", requested))
            assert got.status_code == 200
            assert got.headers["content-type"] == requested
        # A client that substitutes {type} without percent-encoding still means "+".
        raw = http.get(f"/jmap/download/{alice.account_id}/{blob_id}/a.svg?type=image/svg+xml")
        assert raw.headers["content-type"] == "image/svg+xml"


def test_download_type_cannot_inject_headers(server: LiveServer) -> None:
    alice = server.alice
    with server.client(alice) as http:
        blob_id = upload(http, alice.account_id, b"x").json()["blobId"]
        got = http.get(download_path(alice.account_id, blob_id, "x", "text/html\r\nX-Evil: 1"))
    assert got.status_code == 400
    assert got.headers["content-type"] == PROBLEM
    assert "x-evil" not in got.headers


def test_upload_without_content_type_is_octet_stream(server: LiveServer) -> None:
    alice = server.alice
    with server.client(alice) as http:
        missing = upload(http, alice.account_id, b"abc").json()
        empty = upload(http, alice.account_id, b"abcd", "").json()
    assert missing["type"] == "application/octet-stream"
    assert empty["type"] == "application/octet-stream"


def test_same_content_gives_the_same_blob(server: LiveServer) -> None:
    alice = server.alice
    with server.client(alice) as http:
        first = upload(http, alice.account_id, b"same bytes", "text/plain").json()
        second = upload(http, alice.account_id, b"same bytes", "text/plain").json()
    assert first["blobId"] == second["blobId"]
    assert len(blob_files(server)) == 1


def test_conditional_and_range_downloads(server: LiveServer) -> None:
    alice = server.alice
    data = bytes(range(256)) * 100
    with server.client(alice) as http:
        blob_id = upload(http, alice.account_id, data).json()["blobId"]
        path = download_path(alice.account_id, blob_id, "data.bin", "application/octet-stream")
        cached = http.get(path, headers={"If-None-Match": f'"{blob_id}"'})
        partial = http.get(path, headers={"Range": "bytes=100-199"})
    assert cached.status_code == 304
    assert cached.content == b""
    assert partial.status_code == 206
    assert partial.content == data[100:200]
    assert partial.headers["content-range"] == f"bytes 100-199/{len(data)}"


def test_upload_too_large_by_content_length_stores_nothing(make_server: MakeServer) -> None:
    server = make_server(CoreLimits(max_size_upload=50_000))
    alice = server.alice
    with server.client(alice) as http:
        response = upload(http, alice.account_id, b"x" * 50_001, "text/plain")
        assert response.status_code == 413
        assert response.headers["content-type"] == PROBLEM
        body = response.json()
        assert body["type"] == "urn:ietf:params:jmap:error:limit"
        assert body["limit"] == "maxSizeUpload"
        at_limit = upload(http, alice.account_id, b"y" * 50_000)
    assert at_limit.status_code == 201
    assert blob_files(server) == [at_limit.json()["blobId"]]


def chunked(data: bytes, size: int = 8192) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def test_upload_too_large_chunked_stores_nothing(make_server: MakeServer) -> None:
    server = make_server(CoreLimits(max_size_upload=50_000))
    alice = server.alice
    with server.client(alice) as http:
        response = http.post(f"/jmap/upload/{alice.account_id}/", content=chunked(b"z" * 200_000))
        assert "content-length" not in response.request.headers
        assert response.status_code == 413
        assert response.json()["limit"] == "maxSizeUpload"
        ok = http.post(f"/jmap/upload/{alice.account_id}/", content=chunked(b"w" * 30_000))
    assert ok.status_code == 201
    assert ok.json()["size"] == 30_000
    assert blob_files(server) == [ok.json()["blobId"]]
    tmp = server.store.blobs.root / "tmp"
    assert not tmp.exists() or list(tmp.iterdir()) == []


def test_streamed_upload_is_hashed_correctly(server: LiveServer) -> None:
    alice = server.alice
    data = hashlib.sha256(b"seed").digest() * 40_000  # 1.28 MB in many chunks
    with server.client(alice) as http:
        blob = http.post(f"/jmap/upload/{alice.account_id}/", content=chunked(data)).json()
        got = http.get(download_path(alice.account_id, blob["blobId"], "f", "a/b"))
    assert blob["size"] == len(data)
    assert got.content == data


def test_other_users_blobs_and_accounts_are_404(server: LiveServer) -> None:
    alice, bob = server.alice, server.bob
    with server.client(bob) as as_bob:
        bobs_blob = upload(as_bob, bob.account_id, b"bob's secret").json()["blobId"]
    with server.client(alice) as as_alice:
        in_bobs_account = as_alice.get(download_path(bob.account_id, bobs_blob, "s", "text/plain"))
        in_own_account = as_alice.get(download_path(alice.account_id, bobs_blob, "s", "a/b"))
        upload_to_bob = upload(as_alice, bob.account_id, b"intrusion")
        unknown = as_alice.get(download_path(alice.account_id, "G" + "0" * 64, "s", "a/b"))
        nonsense = as_alice.get(download_path(alice.account_id, "../../etc/passwd", "s", "a/b"))
        malformed = as_alice.get(download_path(alice.account_id, "not-a-blob..", "s", "a/b"))
        no_account = upload(as_alice, "no such account", b"x")
    for response in (
        in_bobs_account,
        in_own_account,
        upload_to_bob,
        unknown,
        nonsense,
        malformed,
        no_account,
    ):
        assert response.status_code == 404, response.text
        assert response.headers["content-type"] == PROBLEM
        assert b"secret" not in response.content
    assert in_bobs_account.content == upload_to_bob.content, "same answer as a missing account"


def test_blob_endpoints_need_authentication(server: LiveServer) -> None:
    with server.client() as http:
        up = http.post(f"/jmap/upload/{server.alice.account_id}/", content=b"x")
        down = http.get(download_path(server.alice.account_id, "G" + "0" * 64, "n", "a/b"))
    for response in (up, down):
        assert response.status_code == 401
        assert "www-authenticate" in response.headers


def test_max_concurrent_upload(make_server: MakeServer) -> None:
    server = make_server(CoreLimits(max_concurrent_upload=1))
    alice = server.alice
    refused, first = refused_while_busy(
        server,
        alice,
        f"/jmap/upload/{alice.account_id}/",
        b"first part, second part",
        lambda http: upload(http, alice.account_id, b"quick"),
    )
    assert refused.headers["content-type"] == PROBLEM
    assert refused.json()["limit"] == "maxConcurrentUpload"
    assert first.status_code == 201
    assert first.json()["size"] == len(b"first part, second part")
