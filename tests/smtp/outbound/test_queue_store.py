"""The outbound queue rows on a real SQLite file: leases make a message workable by one worker
at a time, outcomes from a worker that lost its lease are refused, and only untouched messages
can be canceled."""

from __future__ import annotations

from pathlib import Path

from satchel.store.base import Store, WriteTxn
from satchel.store.outbound_base import OutboundMessage, OutboundRecipient
from satchel.store.sqlite import SqliteStore


def _message(message_id: str = "q1", send_at: float = 100.0) -> OutboundMessage:
    return OutboundMessage(
        id=message_id,
        account_id="",
        submission_id=None,
        mail_from="alice@example.org",
        message_id="m@example.org",
        raw=b"Subject: x\r\n\r\nbody\r\n",
        created_at=send_at,
        send_at=send_at,
        next_attempt_at=send_at,
        attempts=0,
        state="queued",
        recipients=(OutboundRecipient("a@remote.test"), OutboundRecipient("b@remote.test")),
    )


def _write(store: Store, fn: object) -> object:
    result, _ = store.write_sync("", fn)  # type: ignore[arg-type]
    return result


def test_one_lease_at_a_time_and_lost_leases_cannot_record(store: Store) -> None:
    _write(store, lambda txn: txn.outbound_enqueue(_message()))
    assert store.read_sync(lambda txn: txn.outbound_due(99.0, 10)) == []
    assert store.read_sync(lambda txn: txn.outbound_due(100.0, 10)) == ["q1"]
    first = _write(store, lambda txn: txn.outbound_claim("q1", "w1", 100.0, 160.0))
    assert isinstance(first, OutboundMessage) and first.attempts == 1
    assert _write(store, lambda txn: txn.outbound_claim("q1", "w2", 120.0, 180.0)) is None
    # The lease ran out: another worker takes over, and the first may no longer record.
    assert _write(store, lambda txn: txn.outbound_claim("q1", "w2", 161.0, 220.0)) is not None

    def record_as(owner: str) -> object:
        return lambda txn: txn.outbound_record("q1", owner, "a@remote.test", "relayed", "250 ok")

    assert _write(store, record_as("w1")) is False
    assert _write(store, record_as("w2")) is True
    _write(store, lambda txn: txn.outbound_release("q1", "w2", 300.0))
    message = store.read_sync(lambda txn: txn.outbound_message("q1"))
    assert message is not None and message.state == "queued" and message.next_attempt_at == 300.0
    assert [r.state for r in message.recipients] == ["relayed", "queued"]

    def finish(txn: WriteTxn) -> None:
        assert txn.outbound_claim("q1", "w3", 300.0, 360.0) is not None
        assert [r.address for r in txn.outbound_fail_remaining("q1", "w3", "550 no")] == [
            "b@remote.test"
        ]
        txn.outbound_release("q1", "w3", 999.0)

    _write(store, finish)
    done = store.read_sync(lambda txn: txn.outbound_message("q1"))
    assert done is not None and done.state == "done" and done.raw == b""
    assert store.read_sync(lambda txn: txn.outbound_next_due()) is None


def test_cancel_only_before_any_attempt(store: Store) -> None:
    _write(store, lambda txn: txn.outbound_enqueue(_message("q1")))
    _write(store, lambda txn: txn.outbound_enqueue(_message("q2")))
    _write(store, lambda txn: txn.outbound_claim("q2", "w", 100.0, 160.0))
    assert _write(store, lambda txn: txn.outbound_cancel("q1", 100.0)) is True
    assert _write(store, lambda txn: txn.outbound_cancel("q2", 100.0)) is False
    assert store.read_sync(lambda txn: txn.outbound_due(1000.0, 10)) == ["q2"]


def test_queue_survives_reopening_the_store(tmp_path: Path) -> None:
    first = SqliteStore.open(tmp_path / "d")
    first.write_sync("", lambda txn: txn.outbound_enqueue(_message()))
    first.close_sync()
    second = SqliteStore.open(tmp_path / "d")
    try:
        message = second.read_sync(lambda txn: txn.outbound_message("q1"))
        assert message is not None and message.raw.endswith(b"body\r\n")
        assert [r.address for r in message.recipients] == ["a@remote.test", "b@remote.test"]
    finally:
        second.close_sync()


def test_purge_forgets_only_old_finished_messages(store: Store) -> None:
    for message_id in ("old-done", "old-queued", "new-done"):
        send_at = 10.0 if message_id.startswith("old") else 500.0
        _write(store, lambda txn, m=message_id, t=send_at: txn.outbound_enqueue(_message(m, t)))
    for message_id in ("old-done", "new-done"):
        _write(store, lambda txn, m=message_id: txn.outbound_cancel(m, 600.0))
    assert _write(store, lambda txn: txn.outbound_purge(100.0)) == 1
    left = store.read_sync(
        lambda txn: [m for m in ("old-done", "old-queued", "new-done") if txn.outbound_message(m)]
    )
    assert left == ["old-queued", "new-done"]
