"""Identity/get, /changes and /set (RFC 8621 section 6) through the engine on a real store:
the default Identity every account starts with, every property on every object, `email`
limited to addresses the owner may send from (forbiddenFrom), mayDelete honoured."""

from __future__ import annotations

from typing import Any

from mail_client import MailClient

from satchel.store.base import WriteTxn

PROPERTIES = {
    "id",
    "name",
    "email",
    "replyTo",
    "bcc",
    "textSignature",
    "htmlSignature",
    "mayDelete",
}


async def identities(client: MailClient) -> dict[str, dict[str, Any]]:
    result = await client.ok("Identity/get", ids=None)
    for identity in result["list"]:
        assert set(identity) == PROPERTIES
    return {i["email"]: i for i in result["list"]}


async def test_a_new_account_has_its_default_identity(client: MailClient) -> None:
    found = await identities(client)
    default = found["alice@localhost"]
    assert default == {
        "id": default["id"],
        "name": "alice",
        "email": "alice@localhost",
        "replyTo": None,
        "bcc": None,
        "textSignature": "",
        "htmlSignature": "",
        "mayDelete": False,
    }
    assert list(found) == ["alice@localhost"]
    # The mailboxes came with it, in the same provisioning.
    assert "inbox" in await client.mailboxes()


async def test_provisioning_gives_an_old_account_its_identity_once(client: MailClient) -> None:
    # The account received mail (mailboxes provisioned by ingest, which knows no domain)
    # before any Identity existed: the first Identity call still finds its default.
    from mail_client import message

    await client.deliver(message())
    assert list(await identities(client)) == ["alice@localhost"]
    result = await client.ok("Identity/get", ids=None)
    assert len(result["list"]) == 1


async def test_create_every_property_and_get_it_back(client: MailClient) -> None:
    await identities(client)
    client.store.write_sync("", lambda txn: txn.add_alias(client.user.id, "sales@localhost"))
    created = await client.ok(
        "Identity/set",
        create={
            "s": {
                "name": "Alice (Sales)",
                "email": "sales@localhost",
                "replyTo": [{"name": "Sales", "email": "sales@localhost"}],
                "bcc": [{"email": "archive@example.com"}],
                "textSignature": "-- \nAlice",
                "htmlSignature": "<p>Alice</p>",
            }
        },
    )
    assert created["notCreated"] is None
    entry = created["created"]["s"]
    assert entry["mayDelete"] is True
    got = await identities(client)
    assert got["sales@localhost"] == {
        "id": entry["id"],
        "name": "Alice (Sales)",
        "email": "sales@localhost",
        "replyTo": [{"name": "Sales", "email": "sales@localhost"}],
        "bcc": [{"name": None, "email": "archive@example.com"}],
        "textSignature": "-- \nAlice",
        "htmlSignature": "<p>Alice</p>",
        "mayDelete": True,
    }
    # Defaults for what the client left out.
    minimal = await client.ok("Identity/set", create={"m": {"email": "ALICE@localhost"}})
    assert minimal["created"]["m"]["name"] == ""
    assert minimal["created"]["m"]["replyTo"] is None


async def test_email_must_be_an_address_the_owner_may_send_from(client: MailClient) -> None:
    result = await client.ok(
        "Identity/set",
        create={
            "other": {"email": "bob@localhost"},
            "outside": {"email": "alice@example.com"},
            "garbage": {"email": "not an address"},
            "missing": {"name": "x"},
        },
    )
    assert result["created"] is None
    errors = result["notCreated"]
    assert errors["other"]["type"] == "forbiddenFrom"
    assert errors["other"]["properties"] == ["email"]
    assert errors["outside"]["type"] == "forbiddenFrom"
    assert errors["garbage"] == {**errors["garbage"], "type": "invalidProperties"}
    assert errors["garbage"]["properties"] == ["email"]
    assert errors["missing"]["properties"] == ["email"]


async def test_a_wildcard_grant_allows_any_address_of_its_domain(client: MailClient) -> None:
    def grant(txn: WriteTxn) -> None:
        txn.add_sender_grant(client.user.id, "*@Brand.example")

    client.store.write_sync("", grant)
    result = await client.ok(
        "Identity/set",
        create={
            "a": {"email": "news@brand.example"},
            "b": {"email": "Support@BRAND.example"},
            "c": {"email": "news@sub.brand.example"},
            # RFC 8621 section 6: an Identity may itself be the wildcard.
            "w": {"email": "*@brand.example"},
            "x": {"email": "*@localhost"},
        },
    )
    assert set(result["created"]) == {"a", "b", "w"}
    assert result["notCreated"]["x"]["type"] == "forbiddenFrom"
    assert result["notCreated"]["c"]["type"] == "forbiddenFrom"


async def test_bad_reply_to_and_bcc_are_invalid_properties(client: MailClient) -> None:
    bad_values: list[Any] = [
        "alice@localhost",
        [{"name": 3, "email": "a@b.example"}],
        [{"name": "x"}],
        [{"email": "a@b.example", "extra": 1}],
        [{"email": "nope"}],
        {"email": "a@b.example"},
    ]
    create = {f"r{i}": {"email": "alice@localhost", "replyTo": v} for i, v in enumerate(bad_values)}
    create |= {f"b{i}": {"email": "alice@localhost", "bcc": v} for i, v in enumerate(bad_values)}
    result = await client.ok("Identity/set", create=create)
    assert result["created"] is None
    for key, error in result["notCreated"].items():
        assert error["type"] == "invalidProperties", key
        assert error["properties"] == ["replyTo" if key.startswith("r") else "bcc"], key


async def test_update_changes_and_immutable_email(client: MailClient) -> None:
    default = (await identities(client))["alice@localhost"]
    state = (await client.ok("Identity/get", ids=[]))["state"]
    updated = await client.ok(
        "Identity/set",
        update={
            default["id"]: {
                "name": "Alice Liddell",
                "textSignature": "Alice",
                "replyTo": [{"name": None, "email": "alice@localhost"}],
            }
        },
    )
    assert updated["notUpdated"] is None
    refused = await client.ok(
        "Identity/set",
        update={default["id"]: {"email": "other@localhost"}, "missing": {"name": "x"}},
    )
    assert refused["notUpdated"][default["id"]]["properties"] == ["email"]
    assert refused["notUpdated"]["missing"]["type"] == "notFound"
    refused = await client.ok("Identity/set", update={default["id"]: {"mayDelete": True}})
    assert refused["notUpdated"][default["id"]]["properties"] == ["mayDelete"]
    now = (await identities(client))["alice@localhost"]
    assert now["name"] == "Alice Liddell"
    assert now["mayDelete"] is False
    changes = await client.ok("Identity/changes", sinceState=state)
    assert changes["updated"] == [default["id"]]
    assert changes["created"] == [] and changes["destroyed"] == []


async def test_destroy_respects_may_delete(client: MailClient) -> None:
    default = (await identities(client))["alice@localhost"]
    created = await client.ok("Identity/set", create={"x": {"email": "alice@localhost"}})
    extra = created["created"]["x"]["id"]
    result = await client.ok("Identity/set", destroy=[default["id"], extra, "nope"])
    assert result["destroyed"] == [extra]
    assert result["notDestroyed"][default["id"]]["type"] == "forbidden"
    assert result["notDestroyed"]["nope"]["type"] == "notFound"
    assert [i["id"] for i in (await identities(client)).values()] == [default["id"]]


async def test_submission_methods_provision_the_account_first(client: MailClient) -> None:
    # The first call an account makes may be EmailSubmission/*: the default Identity it needs
    # already exists when the method runs.
    await client.call("EmailSubmission/get", ids=[])
    records = client.store.read_sync(
        lambda txn: txn.get_records(client.account_id, "Identity", None)
    )
    assert [r.data["email"] for r in records] == ["alice@localhost"]


async def test_identity_needs_the_submission_capability(mail: MailClient) -> None:
    error = await mail.error("Identity/get", ids=None)
    assert error["type"] == "unknownMethod"


async def test_read_only_account_cannot_set_identities(client: MailClient) -> None:
    bob = client.accounts[1].id
    error = await client.error("Identity/set", accountId=bob, create={"x": {"email": "a@b.c"}})
    assert error["type"] == "accountReadOnly"
