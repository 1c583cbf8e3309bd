"""Foo/changes, RFC 8620 section 5.2, one rule per test."""

from __future__ import annotations

from jmap_client import Jmap

from satchel.core.state import decode_state, encode_state
from satchel.store.base import WriteTxn


async def test_changes_classify_created_updated_destroyed(jmap: Jmap) -> None:
    a = await jmap.create()
    b = await jmap.create()
    since = await jmap.state()
    c = await jmap.create()
    await jmap.ok("Note/set", update={a: {"done": True}}, destroy=[b])
    result = await jmap.ok("Note/changes", sinceState=since)
    assert result["oldState"] == since
    assert result["newState"] == await jmap.state()
    assert (result["created"], result["updated"], result["destroyed"]) == ([c], [a], [b])
    assert result["hasMoreChanges"] is False


async def test_no_changes_since_current_state(jmap: Jmap) -> None:
    await jmap.create()
    state = await jmap.state()
    result = await jmap.ok("Note/changes", sinceState=state)
    assert result["newState"] == state
    assert result["created"] == result["updated"] == result["destroyed"] == []
    assert result["hasMoreChanges"] is False


async def test_created_and_destroyed_since_state_is_not_reported(jmap: Jmap) -> None:
    since = await jmap.state()
    a = await jmap.create()
    await jmap.ok("Note/set", destroy=[a])
    result = await jmap.ok("Note/changes", sinceState=since)
    assert result["created"] == result["updated"] == result["destroyed"] == []


async def test_max_changes_gives_intermediate_states_until_done(jmap: Jmap) -> None:
    since = await jmap.state()
    made = [await jmap.create(title=str(i)) for i in range(5)]
    seen: list[str] = []
    state, rounds = since, 0
    while True:
        result = await jmap.ok("Note/changes", sinceState=state, maxChanges=2)
        assert len(result["created"]) + len(result["updated"]) + len(result["destroyed"]) <= 2
        seen += result["created"]
        state = result["newState"]
        rounds += 1
        if not result["hasMoreChanges"]:
            break
    assert sorted(seen) == sorted(made)
    assert state == await jmap.state()
    assert rounds == 3


async def test_max_changes_zero_or_negative_is_invalid_arguments(jmap: Jmap) -> None:
    state = await jmap.state()
    for bad in (0, -1, "2", True):
        error = await jmap.error("Note/changes", sinceState=state, maxChanges=bad)
        assert error["type"] == "invalidArguments", bad


async def test_garbage_state_is_cannot_calculate_changes(jmap: Jmap) -> None:
    await jmap.create()
    since_of_other_type = encode_state(0, "Mailbox")
    for garbage in ("garbage", "", "12", encode_state(999, "Note"), since_of_other_type):
        error = await jmap.error("Note/changes", sinceState=garbage)
        assert error["type"] == "cannotCalculateChanges", garbage


async def test_max_changes_below_one_transaction_is_cannot_calculate_changes(jmap: Jmap) -> None:
    since = await jmap.state()
    await jmap.ok("Note/set", create={f"c{i}": {"title": str(i)} for i in range(3)})
    error = await jmap.error("Note/changes", sinceState=since, maxChanges=2)
    assert error["type"] == "cannotCalculateChanges"


async def test_missing_since_state_is_invalid_arguments(jmap: Jmap) -> None:
    assert (await jmap.error("Note/changes"))["type"] == "invalidArguments"


async def test_state_below_low_modseq_is_cannot_calculate_changes(jmap: Jmap) -> None:
    since = await jmap.state()
    a = await jmap.create()
    await jmap.ok("Note/set", destroy=[a])
    current = (await jmap.ok("Note/get", ids=[]))["state"]
    high = decode_state(current, "Note")
    assert high is not None

    def purge(txn: WriteTxn) -> int:
        return txn.purge_tombstones(jmap.account_id, "Note", high)

    await jmap.store.write(jmap.account_id, purge)
    error = await jmap.error("Note/changes", sinceState=since)
    assert error["type"] == "cannotCalculateChanges"
    assert (await jmap.ok("Note/changes", sinceState=current))["created"] == []
