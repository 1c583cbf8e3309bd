"""The real `jmapc` client (strict, typed, independently written) over real HTTP against a real
Satchel: the session advertises submission and vacationresponse, Identity/get parses into
jmapc's Identity model (every property present), Identity/set updates, and VacationResponse/get
and /set work through method classes declared the way jmapc declares its own."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import jmapc
import pytest
import requests
import requests.adapters
from dataclasses_json import config
from jmapc.methods import (
    IdentityChanges,
    IdentityChangesResponse,
    IdentityGet,
    IdentityGetResponse,
    IdentitySet,
    IdentitySetResponse,
)
from jmapc.methods.base import Get, GetResponse, Set, SetResponse
from jmapc.serializer import Model
from live_server import jmapc_client, serving

from satchel.auth.passwords import hash_password
from satchel.config import load_settings
from satchel.services import open_services
from satchel.store.base import WriteTxn

PASSWORD = "alice-vacation-password"
VACATION_URN = "urn:ietf:params:jmap:vacationresponse"
SUBMISSION_URN = "urn:ietf:params:jmap:submission"


@dataclass
class VacationResponse(Model):
    id: str
    is_enabled: bool
    from_date: str | None
    to_date: str | None
    subject: str | None
    text_body: str | None
    html_body: str | None


class VacationBase:
    method_namespace: ClassVar[str | None] = "VacationResponse"
    using: ClassVar[set[str]] = {VACATION_URN}


@dataclass
class VacationResponseGet(VacationBase, Get):
    ids: list[str] | None = None


@dataclass
class VacationResponseGetResponse(VacationBase, GetResponse):
    data: list[VacationResponse] = field(metadata=config(field_name="list"))


@dataclass
class VacationResponseSet(VacationBase, Set):
    pass


@dataclass
class VacationResponseSetResponse(VacationBase, SetResponse):
    created: dict[str, Any] | None
    updated: dict[str, Any] | None


@pytest.fixture
def port(tmp_path: Path) -> Iterator[int]:
    settings = load_settings(
        str(tmp_path / "data"),
        overrides={"failed_login_delay": 0.0, "domain": "example.org"},
        environ={},
    )
    services = open_services(settings)
    password_hash = hash_password(PASSWORD)

    def create(txn: WriteTxn) -> None:
        txn.create_user("alice", password_hash, None)

    services.store.write_sync("", create)
    with serving(services) as port:
        yield port


def client_for(port: int) -> jmapc.Client:
    return jmapc_client(port, user="alice", password=PASSWORD)


def test_session_advertises_submission_and_vacation(port: int) -> None:
    session = requests.get(
        f"http://127.0.0.1:{port}/.well-known/jmap", auth=("alice", PASSWORD), timeout=10
    ).json()
    assert session["capabilities"][VACATION_URN] == {}
    assert SUBMISSION_URN in session["capabilities"]
    [account] = session["accounts"].values()
    assert account["accountCapabilities"][VACATION_URN] == {}
    assert SUBMISSION_URN in account["accountCapabilities"]
    assert set(session["primaryAccounts"]) >= {VACATION_URN, SUBMISSION_URN}


def test_jmapc_reads_and_updates_identities(port: int) -> None:
    client = client_for(port)
    got = client.request(IdentityGet(ids=None))
    assert isinstance(got, IdentityGetResponse), got
    [identity] = got.data
    assert identity.email == "alice@example.org"
    assert identity.name == "alice"
    assert identity.may_delete is False
    assert (identity.reply_to, identity.bcc) == (None, None)
    assert (identity.text_signature, identity.html_signature) == ("", "")
    assert identity.id is not None

    updated = client.request(
        IdentitySet(update={identity.id: {"name": "Alice L.", "textSignature": "-- \nA."}})
    )
    assert isinstance(updated, IdentitySetResponse), updated
    assert updated.updated is not None and identity.id in updated.updated
    changes = client.request(IdentityChanges(since_state=got.state))
    assert isinstance(changes, IdentityChangesResponse), changes
    assert changes.updated == [identity.id]
    again = client.request(IdentityGet(ids=[identity.id]))
    assert isinstance(again, IdentityGetResponse)
    assert again.data[0].name == "Alice L."
    assert again.data[0].text_signature == "-- \nA."


def test_jmapc_sets_the_vacation_response(port: int) -> None:
    client = client_for(port)
    got = client.request(VacationResponseGet(ids=None))
    assert isinstance(got, VacationResponseGetResponse), got
    assert got.data == [VacationResponse("singleton", False, None, None, None, None, None)]
    result = client.request(
        VacationResponseSet(
            update={
                "singleton": {
                    "isEnabled": True,
                    "toDate": "2030-01-15T00:00:00Z",
                    "textBody": "Back on the 15th.",
                }
            }
        )
    )
    assert isinstance(result, VacationResponseSetResponse), result
    assert result.updated == {"singleton": None}
    again = client.request(VacationResponseGet(ids=["singleton"]))
    assert isinstance(again, VacationResponseGetResponse)
    assert again.data == [
        VacationResponse(
            "singleton", True, None, "2030-01-15T00:00:00Z", None, "Back on the 15th.", None
        )
    ]
