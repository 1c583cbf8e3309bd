"""The real `jmapc` client sends mail on a real Satchel over HTTP, as its documentation shows:
Identity/get, an Email/set draft and an EmailSubmission/set with onSuccessUpdateEmail in one
request, then EmailSubmission/get; bob finds the message in his Inbox."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import jmapc
import pytest
from jmapc.methods import (
    EmailSetResponse,
    EmailSubmissionGet,
    EmailSubmissionGetResponse,
    EmailSubmissionSet,
    EmailSubmissionSetResponse,
    IdentityGet,
    IdentityGetResponse,
    MailboxGet,
    MailboxGetResponse,
)
from live_server import jmapc_client, serving

from satchel.auth.passwords import hash_password
from satchel.config import load_settings
from satchel.services import open_services
from satchel.store.base import Store, WriteTxn

PASSWORD = "alice-send-password"


@dataclass
class Server:
    port: int
    store: Store
    bob_account: str


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    settings = load_settings(
        str(tmp_path / "data"),
        overrides={"failed_login_delay": 0.0, "domain": "example.org"},
        environ={},
    )
    services = open_services(settings)
    store = services.store
    password_hash = hash_password(PASSWORD)

    def create(txn: WriteTxn) -> str:
        txn.create_user("alice", password_hash, None)
        bob = txn.create_user("bob", password_hash, None)
        return txn.accounts_for_user(bob.id)[0].id

    bob_account, _ = store.write_sync("", create)
    with serving(services) as port:
        yield Server(port, store, bob_account)


def test_jmapc_sends_a_draft_and_files_it_in_sent(server: Server) -> None:
    client = jmapc_client(server.port, user="alice", password=PASSWORD)
    identities = client.request(IdentityGet(ids=None))
    assert isinstance(identities, IdentityGetResponse)
    identity = identities.data[0]
    assert identity.email == "alice@example.org"
    mailboxes = client.request(MailboxGet(ids=None))
    assert isinstance(mailboxes, MailboxGetResponse)
    roles = {m.role: m.id for m in mailboxes.data}

    draft = jmapc.Email(
        mail_from=[jmapc.EmailAddress(name="Alice", email="alice@example.org")],
        to=[jmapc.EmailAddress(name="Bob", email="bob@example.org")],
        subject="Sent with jmapc",
        keywords={"$draft": True},
        mailbox_ids={roles["drafts"] or "": True},
        body_values={"body": jmapc.EmailBodyValue(value="Hello Bob")},
        text_body=[jmapc.EmailBodyPart(part_id="body", type="text/plain")],
    )
    results = client.request(
        [
            jmapc.methods.EmailSet(create={"draft": draft}),
            EmailSubmissionSet(
                on_success_update_email={
                    "#sendIt": {
                        f"mailboxIds/{roles['drafts']}": None,
                        f"mailboxIds/{roles['sent']}": True,
                        "keywords/$draft": None,
                    }
                },
                create={
                    "sendIt": jmapc.EmailSubmission(
                        email_id="#draft",
                        identity_id=identity.id,
                        envelope=jmapc.Envelope(
                            mail_from=jmapc.Address(email="alice@example.org"),
                            rcpt_to=[jmapc.Address(email="bob@example.org")],
                        ),
                    )
                },
            ),
        ]
    )
    assert [r.id for r in results] == [
        "0.Email/set",
        "1.EmailSubmission/set",
        "1.EmailSubmission/set",
    ]
    created, submitted, moved = (r.response for r in results)
    assert isinstance(created, EmailSetResponse) and created.created is not None
    email_id = created.created["draft"].id
    assert isinstance(submitted, EmailSubmissionSetResponse) and submitted.created is not None
    submission_id = submitted.created["sendIt"].id
    assert isinstance(moved, EmailSetResponse) and moved.updated == {email_id: None}

    got = client.request(EmailSubmissionGet(ids=[submission_id or ""]))
    assert isinstance(got, EmailSubmissionGetResponse)
    [submission] = got.data
    assert submission.email_id == email_id and submission.undo_status == jmapc.UndoStatus.FINAL
    assert submission.delivery_status is not None
    assert submission.delivery_status["bob@example.org"].delivered == jmapc.Delivered.YES
    emails = server.store.read_sync(lambda txn: txn.get_records(server.bob_account, "Email", None))
    assert [e.data["subject"] for e in emails] == ["Sent with jmapc"]
