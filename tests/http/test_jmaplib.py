"""The real `jmaplib` client (package `jmap`: capability-driven, strict about the Session) against
Satchel over real HTTP: discovery, Core/echo, upload and download, and a 401 it can report."""

from __future__ import annotations

import httpx
import pytest
from http_support import LiveServer
from jmap.client import JMAPClient
from jmap.core.errors import AuthenticationError


def connect(server: LiveServer, password: str) -> JMAPClient:
    return JMAPClient.connect(
        f"{server.url}/.well-known/jmap", auth=httpx.BasicAuth("alice", password)
    )


def test_jmaplib_discovers_the_session_and_echoes(server: LiveServer) -> None:
    with connect(server, server.alice.password) as client:
        assert client.default_account == server.alice.account_id
        assert client.echo(hello="world", n=[1, 2]) == {"hello": "world", "n": [1, 2]}


def test_jmaplib_upload_then_download_round_trips(server: LiveServer) -> None:
    with connect(server, server.alice.password) as client:
        uploaded = client.upload(b"bytes from jmaplib\n", content_type="text/plain")
        assert (uploaded.account_id, uploaded.type, uploaded.size) == (
            server.alice.account_id,
            "text/plain",
            19,
        )
        body = client.download(uploaded.blob_id, name="note.txt", content_type="text/plain")
        assert body == b"bytes from jmaplib\n"


def test_jmaplib_reports_a_wrong_password(server: LiveServer) -> None:
    with pytest.raises(AuthenticationError):
        connect(server, "not-the-password")
