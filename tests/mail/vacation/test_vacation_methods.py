"""VacationResponse/get and /set (RFC 8621 section 8) through the engine on a real store: the
singleton with every property, updates with validation, no create or destroy, the state, and
the reply log forgotten when the response changes."""

from __future__ import annotations

from mail_client import MailClient

from satchel.store.base import WriteTxn

DISABLED = {
    "id": "singleton",
    "isEnabled": False,
    "fromDate": None,
    "toDate": None,
    "subject": None,
    "textBody": None,
    "htmlBody": None,
}


async def test_get_the_singleton(client: MailClient) -> None:
    result = await client.ok("VacationResponse/get", ids=None)
    assert result["list"] == [DISABLED]
    assert result["notFound"] == []
    state = result["state"]
    by_id = await client.ok("VacationResponse/get", ids=["singleton", "other"])
    assert by_id["list"] == [DISABLED]
    assert by_id["notFound"] == ["other"]
    assert by_id["state"] == state
    some = await client.ok("VacationResponse/get", ids=None, properties=["isEnabled"])
    assert some["list"] == [{"id": "singleton", "isEnabled": False}]


async def test_update_and_state(client: MailClient) -> None:
    before = (await client.ok("VacationResponse/get", ids=None))["state"]
    enabled = {
        "isEnabled": True,
        "fromDate": "2030-01-01T00:00:00Z",
        "toDate": "2030-01-15T00:00:00.5Z",
        "subject": "Away",
        "textBody": "Back on the 15th.",
        "htmlBody": "<p>Back on the 15th.</p>",
    }
    result = await client.ok(
        "VacationResponse/set", ifInState=before, update={"singleton": enabled}
    )
    assert result["updated"] == {"singleton": None}
    assert result["oldState"] == before and result["newState"] != before
    got = await client.ok("VacationResponse/get", ids=None)
    assert got["list"] == [{"id": "singleton", **enabled}]
    assert got["state"] == result["newState"]
    # null resets a property to its default
    await client.ok("VacationResponse/set", update={"singleton": {"subject": None}})
    assert (await client.ok("VacationResponse/get", ids=None))["list"][0]["subject"] is None
    stale = await client.error(
        "VacationResponse/set", ifInState=before, update={"singleton": {"isEnabled": False}}
    )
    assert stale["type"] == "stateMismatch"


async def test_bad_values_are_invalid_properties(client: MailClient) -> None:
    result = await client.ok(
        "VacationResponse/set",
        update={
            "singleton": {
                "isEnabled": "yes",
                "fromDate": "2030-01-01T00:00:00+01:00",
                "toDate": "tomorrow",
                "subject": 5,
                "nonsense": 1,
            }
        },
    )
    error = result["notUpdated"]["singleton"]
    assert error["type"] == "invalidProperties"
    assert "nonsense" in error["properties"]
    result = await client.ok(
        "VacationResponse/set",
        update={
            "singleton": {
                "isEnabled": "yes",
                "fromDate": "2030-01-01T00:00:00+01:00",
                "toDate": "tomorrow",
                "subject": 5,
            }
        },
    )
    assert set(result["notUpdated"]["singleton"]["properties"]) == {
        "isEnabled",
        "fromDate",
        "toDate",
        "subject",
    }
    assert (await client.ok("VacationResponse/get", ids=None))["list"] == [DISABLED]


async def test_no_create_no_destroy(client: MailClient) -> None:
    result = await client.ok(
        "VacationResponse/set",
        create={"x": {"isEnabled": True}, "y": {"bogus": 1}},
        destroy=["singleton"],
        update={"other": {"isEnabled": True}},
    )
    assert result["created"] is None
    assert {k: v["type"] for k, v in result["notCreated"].items()} == {
        "x": "singleton",
        "y": "singleton",
    }
    assert result["notDestroyed"]["singleton"]["type"] == "singleton"
    assert result["notUpdated"]["other"]["type"] == "notFound"
    assert (await client.ok("VacationResponse/get", ids=None))["list"] == [DISABLED]
    bad = await client.error("VacationResponse/set", create=[1])
    assert bad["type"] == "invalidArguments"


async def test_a_change_forgets_who_was_answered(client: MailClient) -> None:
    await client.ok("VacationResponse/get", ids=None)
    account = client.account_id

    def claim(txn: WriteTxn) -> bool:
        return txn.claim_vacation_reply(account, "Bob@Example.com", 1000.0, 3600.0)

    assert client.store.write_sync(account, claim)[0] is True
    assert client.store.write_sync(account, claim)[0] is False
    # An update that changes nothing keeps the log...
    await client.ok("VacationResponse/set", update={"singleton": {"isEnabled": False}})
    assert client.store.write_sync(account, claim)[0] is False
    # ...a real change forgets it.
    await client.ok("VacationResponse/set", update={"singleton": {"subject": "Away"}})
    assert client.store.write_sync(account, claim)[0] is True


async def test_read_only_accounts_have_no_vacation_response(client: MailClient) -> None:
    bob = client.accounts[1].id
    error = await client.error("VacationResponse/get", accountId=bob, ids=None)
    assert error["type"] == "accountNotSupportedByMethod"


async def test_vacation_needs_its_capability(mail: MailClient) -> None:
    assert (await mail.error("VacationResponse/get", ids=None))["type"] == "unknownMethod"
