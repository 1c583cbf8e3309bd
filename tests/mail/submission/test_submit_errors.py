"""EmailSubmission/set create refusals (RFC 8621 section 7.5): each names the problem with the
RFC's SetError, writes nothing and queues nothing."""

from __future__ import annotations

from submission_client import SubmissionClient


def _env(mail_from: str, *rcpts: str, params: dict[str, str] | None = None) -> dict[str, object]:
    return {
        "mailFrom": {"email": mail_from, "parameters": params},
        "rcptTo": [{"email": r, "parameters": None} for r in rcpts],
    }


async def _nothing_queued(client: SubmissionClient) -> None:
    due = client.store.read_sync(lambda txn: txn.outbound_due(1e12, 10))
    assert due == []
    listed = await client.ok("EmailSubmission/get", ids=None)
    assert listed["list"] == []


async def test_recipient_errors(alice: SubmissionClient, bob: SubmissionClient) -> None:
    draft = await alice.draft()
    error = await alice.not_created(draft, envelope=_env("alice@example.org"))
    assert error["type"] == "noRecipients"
    error = await alice.not_created(
        draft, envelope=_env("alice@example.org", "nobody@example.org", "not an address")
    )
    assert error["type"] == "invalidRecipients"
    assert error["invalidRecipients"] == ["nobody@example.org", "not an address"]
    many = [f"user{i}@example.org" for i in range(101)]
    error = await alice.not_created(draft, envelope=_env("alice@example.org", *many))
    assert error["type"] == "tooManyRecipients" and error["maxRecipients"] == 100
    error = await alice.not_created(draft, envelope=_env("alice@example.org", "carol@remote.test"))
    assert error["type"] == "forbiddenToSend"
    assert "no SMTP relay" in error["description"]
    await _nothing_queued(alice)


async def test_sender_errors(alice: SubmissionClient, bob: SubmissionClient) -> None:
    draft = await alice.draft()
    error = await alice.not_created(draft, envelope=_env("bob@example.org", "bob@example.org"))
    assert error["type"] == "forbiddenMailFrom"
    assert "bob@example.org" in error["description"]
    forged = await alice.draft(**{"from": [{"name": "Bob", "email": "bob@example.org"}]})
    error = await alice.not_created(forged)
    assert error["type"] == "forbiddenFrom"
    anonymous = await alice.draft(**{"from": None})
    error = await alice.not_created(anonymous)
    assert error["type"] == "invalidEmail" and error["properties"] == ["from"]
    await _nothing_queued(alice)


async def test_unknown_email_or_identity_and_bad_envelopes(
    alice: SubmissionClient, bob: SubmissionClient
) -> None:
    draft = await alice.draft()
    error = await alice.not_created("Mnonexistent1")
    assert error["type"] == "invalidProperties" and error["properties"] == ["emailId"]
    error = await alice.not_created(draft, identityId="Inonexistent1")
    assert error["type"] == "invalidProperties" and error["properties"] == ["identityId"]
    error = await alice.not_created(draft, envelope={"mailFrom": "alice@example.org"})
    assert error["type"] == "invalidProperties" and error["properties"] == ["envelope"]
    error = await alice.not_created(
        draft, envelope=_env("alice@example.org", "bob@example.org", params={"XFOO": "1"})
    )
    assert error["type"] == "invalidProperties" and "XFOO" in error["description"]
    error = await alice.not_created(
        draft,
        envelope=_env("alice@example.org", "bob@example.org", params={"HOLDFOR": "99999999"}),
    )
    assert error["type"] == "invalidProperties" and "maxDelayedSend" in error["description"]
    error = await alice.not_created(draft, undoStatus="final")
    assert error["type"] == "invalidProperties" and error["properties"] == ["undoStatus"]
    await _nothing_queued(alice)


async def test_bad_arguments_are_invalid_arguments(
    alice: SubmissionClient, bob: SubmissionClient
) -> None:
    error = await alice.error("EmailSubmission/set", onSuccessDestroyEmail="#s")
    assert error["type"] == "invalidArguments"
    error = await alice.error("EmailSubmission/set", onSuccessUpdateEmail={"#s": 3})
    assert error["type"] == "invalidArguments"
