"""The real `jmapc` client (strict, typed, independently written) reads and changes mail on a
real Satchel over HTTP: Mailbox/get, Email/query -> Email/get by result reference, Thread/get,
Email/set keywords, SearchSnippet/get. Mail arrives through ingest, as LMTP delivers it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import jmapc
import pytest
from jmapc.methods import (
    EmailGet,
    EmailGetResponse,
    EmailQuery,
    EmailQueryResponse,
    EmailSet,
    EmailSetResponse,
    MailboxGet,
    MailboxGetResponse,
    SearchSnippetGet,
    SearchSnippetGetResponse,
    ThreadGet,
    ThreadGetResponse,
)
from live_server import jmapc_client, serving
from mail_client import message, multipart_message

from satchel.auth.passwords import hash_password
from satchel.config import load_settings
from satchel.mail.ingest import Incoming, ingest
from satchel.services import open_services
from satchel.store.base import Store, WriteTxn

PASSWORD = "alice-mail-password"


@dataclass
class Server:
    port: int
    store: Store
    account_id: str


@pytest.fixture(scope="module")
def password_hash() -> str:
    return hash_password(PASSWORD)


@pytest.fixture
def server(tmp_path: Path, password_hash: str) -> Iterator[Server]:
    data = tmp_path / "data"
    settings = load_settings(str(data), overrides={"failed_login_delay": 0.0}, environ={})
    services = open_services(settings)
    store = services.store

    def create(txn: WriteTxn) -> str:
        user = txn.create_user("alice", password_hash, "alice@example.com")
        return txn.accounts_for_user(user.id)[0].id

    account_id, _ = store.write_sync("", create)
    with serving(services) as port:
        yield Server(port, store, account_id)


def _client(server: Server) -> jmapc.Client:
    return jmapc_client(server.port, user="alice", password=PASSWORD)


def _deliver(server: Server, raw: bytes, received_at: float) -> str:
    email_id, _ = asyncio.run(
        ingest(server.store, server.account_id, Incoming(raw, received_at=received_at))
    )
    return email_id


def test_jmapc_reads_mailboxes_threads_and_emails(server: Server) -> None:
    first = _deliver(server, message("Dinner", message_id="<d1@x>"), 1000)
    reply = _deliver(server, message("Re: Dinner", message_id="<d2@x>", in_reply_to="<d1@x>"), 2000)
    client = _client(server)
    mailboxes = client.request(MailboxGet(ids=None))
    assert isinstance(mailboxes, MailboxGetResponse)
    roles = {m.role: m for m in mailboxes.data}
    assert set(roles) == {"inbox", "drafts", "sent", "trash", "junk", "archive"}
    assert roles["inbox"].total_emails == 2 and roles["inbox"].unread_threads == 1

    query, got = client.request(
        [
            EmailQuery(filter=jmapc.EmailQueryFilterCondition(in_mailbox=roles["inbox"].id)),
            EmailGet(ids=jmapc.Ref("/ids")),
        ]
    )
    assert isinstance(query.response, EmailQueryResponse)
    assert query.response.ids == [reply, first]
    assert isinstance(got.response, EmailGetResponse)
    emails = {e.id: e for e in got.response.data}
    assert emails[first].subject == "Dinner"
    assert emails[reply].mail_from == [jmapc.EmailAddress(name="Bob", email="bob@example.com")]
    assert emails[first].thread_id == emails[reply].thread_id

    threads = client.request(ThreadGet(ids=[emails[first].thread_id or ""]))
    assert isinstance(threads, ThreadGetResponse)
    assert threads.data[0].email_ids == [first, reply]


def test_jmapc_marks_an_email_seen_and_searches(server: Server) -> None:
    email_id = _deliver(server, message("Receipt", body="your banana order\r\n"), 1000)
    client = _client(server)
    result = client.request(EmailSet(update={email_id: {"keywords/$seen": True}}))
    assert isinstance(result, EmailSetResponse)
    assert result.updated is not None and email_id in result.updated
    got = client.request(EmailGet(ids=[email_id], properties=["keywords"]))
    assert isinstance(got, EmailGetResponse)
    assert got.data[0].keywords == {"$seen": True}
    snippets = client.request(
        SearchSnippetGet(ids=[email_id], filter=jmapc.EmailQueryFilterCondition(text="banana"))
    )
    assert isinstance(snippets, SearchSnippetGetResponse)
    assert (
        snippets.data[0].preview is not None and "<mark>banana</mark>" in snippets.data[0].preview
    )


def test_jmapc_downloads_an_attachment_by_its_part_blob_id(server: Server, tmp_path: Path) -> None:
    email_id = _deliver(server, multipart_message(), 1000)
    client = _client(server)
    got = client.request(EmailGet(ids=[email_id], properties=["attachments"]))
    assert isinstance(got, EmailGetResponse)
    [attachment] = got.data[0].attachments or []
    target = tmp_path / "report.pdf"
    client.download_attachment(attachment, target)
    assert target.read_bytes() == b"%PDF-1.4\n"
    # A part of a message the account does not have is not found.
    session = client.requests_session
    url = f"http://127.0.0.1:{server.port}/jmap/download/{server.account_id}/GnopeP2/x"
    assert session.get(url).status_code == 404
