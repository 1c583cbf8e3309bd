"""The real `jmapc` client (a strict, typed, independently written JMAP client) against Satchel.

jmapc always fetches `https://{host}/.well-known/jmap`; a requests transport adapter mounted for
that one origin sends it over plain HTTP to the test server instead. Everything else (parsing the
Session strictly, following apiUrl/uploadUrl, decoding the responses) is jmapc's own code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jmapc
import pytest
import requests
import requests.adapters
from http_support import LiveServer
from jmapc.methods import CoreEcho, CoreEchoResponse


class HttpsToHttpAdapter(requests.adapters.HTTPAdapter):
    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        assert request.url is not None
        request.url = "http://" + request.url.removeprefix("https://")
        return super().send(request, *args, **kwargs)


def jmapc_client(server: LiveServer, **auth: str) -> jmapc.Client:
    host = f"127.0.0.1:{server.port}"
    if "token" in auth:
        client = jmapc.Client.create_with_api_token(host=host, api_token=auth["token"])
    else:
        client = jmapc.Client.create_with_password(
            host=host, user=auth["user"], password=auth["password"]
        )
    client.requests_session.mount(f"https://{host}/", HttpsToHttpAdapter())
    return client


def test_jmapc_session_discovery_and_core_echo(server: LiveServer) -> None:
    client = jmapc_client(server, user="alice", password=server.alice.password)
    session = client.jmap_session
    assert session.username == "alice"
    assert session.api_url == f"{server.url}/jmap/api/"
    assert session.capabilities.core.max_calls_in_request == server.limits.max_calls_in_request
    assert client.account_id == server.alice.account_id
    result = client.request(CoreEcho(data={"hello": "world", "n": [1, 2, 3]}))
    assert isinstance(result, CoreEchoResponse)
    assert result.data == {"hello": "world", "n": [1, 2, 3]}


def test_jmapc_with_bearer_token_uploads_a_blob(server: LiveServer, tmp_path: Path) -> None:
    client = jmapc_client(server, token=server.bob.token)
    assert client.jmap_session.username == "bob"
    note = tmp_path / "note.txt"
    note.write_bytes(b"hello from jmapc\n")
    blob = client.upload_blob(note)
    assert blob.type == "text/plain"
    assert blob.size == note.stat().st_size
    assert blob.id.startswith("G")


def test_jmapc_wrong_password_raises_http_401(server: LiveServer) -> None:
    client = jmapc_client(server, user="alice", password="not-it")
    with pytest.raises(requests.HTTPError) as failure:
        _ = client.jmap_session
    assert failure.value.response.status_code == 401
