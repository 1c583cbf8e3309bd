"""The real `jmapc` client (a strict, typed, independently written JMAP client) against Satchel.

jmapc always fetches `https://{host}/.well-known/jmap`; a requests transport adapter mounted for
that one origin sends it over plain HTTP to the test server instead. Everything else (parsing the
Session strictly, following apiUrl/uploadUrl, decoding the responses) is jmapc's own code.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
import requests.adapters
from http_support import LiveServer
from jmapc.methods import CoreEcho, CoreEchoResponse
from live_server import jmapc_client


def test_jmapc_session_discovery_and_core_echo(server: LiveServer) -> None:
    client = jmapc_client(server.port, user="alice", password=server.alice.password)
    session = client.jmap_session
    assert session.username == "alice"
    assert session.api_url == f"{server.url}/jmap/api/"
    assert session.capabilities.core.max_calls_in_request == server.limits.max_calls_in_request
    assert client.account_id == server.alice.account_id
    result = client.request(CoreEcho(data={"hello": "world", "n": [1, 2, 3]}))
    assert isinstance(result, CoreEchoResponse)
    assert result.data == {"hello": "world", "n": [1, 2, 3]}


def test_jmapc_with_bearer_token_uploads_a_blob(server: LiveServer, tmp_path: Path) -> None:
    client = jmapc_client(server.port, token=server.bob.token)
    assert client.jmap_session.username == "bob"
    note = tmp_path / "note.txt"
    note.write_bytes(b"hello from jmapc\n")
    blob = client.upload_blob(note)
    assert blob.type == "text/plain"
    assert blob.size == note.stat().st_size
    assert blob.id.startswith("G")


def test_jmapc_wrong_password_raises_http_401(server: LiveServer) -> None:
    client = jmapc_client(server.port, user="alice", password="not-it")
    with pytest.raises(requests.HTTPError) as failure:
        _ = client.jmap_session
    assert failure.value.response.status_code == 401
