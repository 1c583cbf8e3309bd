"""Write and read transactions: one modseq per write transaction, none for a no-op, rollback on
error leaves nothing behind, reads see one snapshot, records behave as /get and /set expect."""

from __future__ import annotations

import re
import threading

import pytest

from satchel.store.base import (
    AccountNotFound,
    ReadTxn,
    RecordExists,
    RecordNotFound,
    Store,
    TypeState,
    WriteTxn,
)


def live_ids(store: Store, account_id: str, type_name: str) -> list[str]:
    return [r.id for r in store.read_sync(lambda t: t.get_records(account_id, type_name, None))]


async def test_one_modseq_per_transaction_across_records_and_types(
    store: Store, account_id: str
) -> None:
    def write(txn: WriteTxn) -> None:
        txn.create_record("Mailbox", "m1", {"name": "Inbox"})
        txn.create_record("Email", "e1", {"subject": "a"})
        txn.create_record("Email", "e2", {"subject": "b"})
        txn.update_record("Email", "e1", {"subject": "a2"})

    _, first = await store.write(account_id, write)
    assert (first.account_id, first.modseq, first.changed_types) == (
        account_id,
        1,
        {"Mailbox", "Email"},
    )

    def second_write(txn: WriteTxn) -> None:
        txn.destroy_record("Email", "e2")
        txn.update_record("Email", "e1", {"subject": "a3"})

    _, second = await store.write(account_id, second_write)
    assert (second.modseq, second.changed_types) == (2, {"Email"})

    def read(txn: ReadTxn) -> tuple[int, TypeState, TypeState, list[tuple[str, int, int]]]:
        records = txn.get_records(account_id, "Email", None)
        return (
            txn.account_modseq(account_id),
            txn.type_state(account_id, "Email"),
            txn.type_state(account_id, "Mailbox"),
            [(r.id, r.created_modseq, r.updated_modseq) for r in records],
        )

    modseq, email, mailbox, records = await store.read(read)
    assert modseq == 2
    assert email == TypeState(high=2, low=0)
    assert mailbox == TypeState(high=1, low=0), "an untouched type keeps its state"
    assert records == [("e1", 1, 2)]


@pytest.mark.parametrize(
    "noop",
    [
        pytest.param(lambda txn: None, id="nothing"),
        pytest.param(lambda txn: txn.get_records(txn.account_id, "Foo", None), id="read-only"),
        pytest.param(lambda txn: txn.update_record("Foo", "a", {"v": 1}), id="identical-update"),
        pytest.param(lambda txn: txn.next_modseq(), id="modseq-peeked"),
    ],
)
async def test_a_transaction_that_changes_nothing_bumps_nothing(
    store: Store, account_id: str, noop: object
) -> None:
    await store.write(account_id, lambda txn: txn.create_record("Foo", "a", {"v": 1}))
    _, commit = await store.write(account_id, noop)  # type: ignore[arg-type]
    assert (commit.modseq, commit.changed_types) == (1, set())
    assert await store.read(lambda t: t.type_state(account_id, "Foo")) == TypeState(1, 0)
    assert await store.read(lambda t: t.account_modseq(account_id)) == 1


async def test_touch_type_advances_a_state_without_records(store: Store, account_id: str) -> None:
    await store.write(account_id, lambda txn: txn.create_record("Email", "e", {}))
    _, commit = await store.write(account_id, lambda txn: txn.touch_type("Thread"))
    assert (commit.modseq, commit.changed_types) == (2, {"Thread"})
    assert await store.read(lambda t: t.type_state(account_id, "Thread")) == TypeState(2, 0)


async def test_writes_see_their_own_changes(store: Store, account_id: str) -> None:
    def write(txn: WriteTxn) -> tuple[TypeState, int, list[str]]:
        txn.create_record("Foo", "a", {"v": 1})
        return (
            txn.type_state(account_id, "Foo"),
            txn.account_modseq(account_id),
            [r.id for r in txn.get_records(account_id, "Foo", ["a"])],
        )

    seen, _ = await store.write(account_id, write)
    assert seen == (TypeState(1, 0), 1, ["a"])


async def test_accounts_have_separate_modseqs(
    store: Store, account_id: str, other_account_id: str
) -> None:
    await store.write(account_id, lambda txn: txn.create_record("Foo", "a", {}))
    await store.write(account_id, lambda txn: txn.create_record("Foo", "b", {}))
    _, commit = await store.write(other_account_id, lambda txn: txn.create_record("Foo", "a", {}))
    assert commit.modseq == 1, "same id, other account: no clash, own counter"
    assert live_ids(store, other_account_id, "Foo") == ["a"]
    assert live_ids(store, account_id, "Foo") == ["a", "b"]


async def test_rollback_on_exception_leaves_nothing(store: Store, account_id: str) -> None:
    await store.write(account_id, lambda txn: txn.create_record("Foo", "kept", {"v": 1}))
    blob_id = store.blobs.put(b"uploaded bytes")

    def failing(txn: WriteTxn) -> None:
        txn.create_record("Foo", "new", {"v": 1})
        txn.update_record("Foo", "kept", {"v": 2})
        txn.touch_type("Bar")
        txn.add_blob(blob_id, 14, "text/plain", None)
        txn.create_user("mallory", "hash", None)
        raise RuntimeError("handler bug")

    with pytest.raises(RuntimeError, match="handler bug"):
        await store.write(account_id, failing)

    def read(txn: ReadTxn) -> object:
        return (
            txn.account_modseq(account_id),
            txn.type_state(account_id, "Foo"),
            txn.type_state(account_id, "Bar"),
            [(r.id, r.data) for r in txn.get_records(account_id, "Foo", None)],
            txn.blob_info(account_id, blob_id),
            txn.user_by_name("mallory"),
        )

    assert await store.read(read) == (
        1,
        TypeState(1, 0),
        TypeState(0, 0),
        [("kept", {"v": 1})],
        None,
        None,
    )
    # The writer is healthy afterwards.
    _, commit = await store.write(account_id, lambda txn: txn.create_record("Foo", "new", {}))
    assert commit.modseq == 2


async def test_store_errors_roll_back_too(store: Store, account_id: str) -> None:
    def write(txn: WriteTxn) -> None:
        txn.create_record("Foo", "a", {})
        txn.create_record("Foo", "a", {})

    with pytest.raises(RecordExists):
        await store.write(account_id, write)
    assert live_ids(store, account_id, "Foo") == []


@pytest.mark.parametrize(
    ("action", "error"),
    [
        (lambda txn: txn.create_record("Foo", "live", {}), RecordExists),
        (lambda txn: txn.create_record("Foo", "gone", {}), RecordExists),  # ids are never reused
        (lambda txn: txn.update_record("Foo", "missing", {}), RecordNotFound),
        (lambda txn: txn.update_record("Foo", "gone", {"v": 9}), RecordNotFound),
        (lambda txn: txn.destroy_record("Foo", "missing"), RecordNotFound),
        (lambda txn: txn.destroy_record("Foo", "gone"), RecordNotFound),
        (lambda txn: txn.destroy_record("Bar", "live"), RecordNotFound),  # other type
    ],
)
async def test_record_errors(
    store: Store, account_id: str, action: object, error: type[Exception]
) -> None:
    def setup(txn: WriteTxn) -> None:
        txn.create_record("Foo", "live", {})
        txn.create_record("Foo", "gone", {})

    await store.write(account_id, setup)
    await store.write(account_id, lambda txn: txn.destroy_record("Foo", "gone"))
    with pytest.raises(error):
        await store.write(account_id, action)  # type: ignore[arg-type]
    assert await store.read(lambda t: t.account_modseq(account_id)) == 2


async def test_unknown_account_is_refused(store: Store) -> None:
    with pytest.raises(AccountNotFound):
        await store.write("nope", lambda txn: txn.create_record("Foo", "a", {}))


async def test_account_less_transactions_cannot_write_records(store: Store) -> None:
    with pytest.raises(ValueError):
        await store.write("", lambda txn: txn.create_record("Foo", "a", {}))


async def test_get_records_by_ids(store: Store, account_id: str) -> None:
    ids = [f"r{i:04d}" for i in range(1500)]

    def write(txn: WriteTxn) -> None:
        for i, record_id in enumerate(ids):
            txn.create_record("Foo", record_id, {"n": i, "nested": {"list": [i, "x"]}})
        txn.destroy_record("Foo", "r0003")

    await store.write(account_id, write)
    wanted = ["r0010", "missing", "r0002", "r0003", "r0010", "r1499"]
    got = await store.read(lambda t: t.get_records(account_id, "Foo", wanted))
    assert [(r.id, r.data["n"]) for r in got] == [("r0010", 10), ("r0002", 2), ("r1499", 1499)]
    assert got[0].data == {"n": 10, "nested": {"list": [10, "x"]}}
    assert await store.read(lambda t: t.get_records(account_id, "Foo", [])) == []
    everything = await store.read(lambda t: t.get_records(account_id, "Foo", ids))
    assert len(everything) == 1499
    assert live_ids(store, account_id, "Foo") == sorted(set(ids) - {"r0003"})


async def test_shared_reads_reuse_decoded_data_and_never_go_stale(
    store: Store, account_id: str
) -> None:
    await store.write(account_id, lambda txn: txn.create_record("Foo", "a", {"v": [1]}))
    await store.write(account_id, lambda txn: txn.create_record("Foo", "b", {"v": [2]}))

    def shared(txn: ReadTxn) -> list[object]:
        return [r.data for r in txn.get_records(account_id, "Foo", ["a", "b"], shared=True)]

    first = await store.read(shared)
    again = await store.read(shared)
    assert first == [{"v": [1]}, {"v": [2]}]
    assert again[0] is first[0]  # decoded once
    # A plain read gets its own copy, which it may change.
    own = await store.read(lambda t: t.get_records(account_id, "Foo", ["a"]))
    assert own[0].data == first[0] and own[0].data is not first[0]
    await store.write(account_id, lambda txn: txn.update_record("Foo", "a", {"v": [3]}))
    assert await store.read(shared) == [{"v": [3]}, {"v": [2]}]
    await store.write(account_id, lambda txn: txn.destroy_record("Foo", "b"))
    assert await store.read(shared) == [{"v": [3]}]


async def test_new_ids_are_short_safe_and_unique(store: Store, account_id: str) -> None:
    ids, _ = await store.write(account_id, lambda txn: [txn.new_id() for _ in range(5000)])
    assert len(set(ids)) == 5000
    # RFC 8620 section 1.2: URL-safe base64 characters, not starting with a digit or dash.
    for record_id in ids:
        assert re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]{0,254}", record_id)
        assert "--" not in record_id and record_id != "NIL"
        assert len(record_id) <= 16


async def test_a_read_sees_one_snapshot(store: Store, account_id: str) -> None:
    await store.write(account_id, lambda txn: txn.create_record("Foo", "a", {"v": 1}))

    def read(txn: ReadTxn) -> tuple[object, object, object]:
        before = txn.get_records(account_id, "Foo", ["a"])[0].data
        # Another thread commits a write while this read transaction is open.
        store.write_sync(account_id, lambda w: w.update_record("Foo", "a", {"v": 2}))
        after = txn.get_records(account_id, "Foo", ["a"])[0].data
        return before, after, txn.type_state(account_id, "Foo").high

    before, after, state = await store.read(read)
    assert before == after == {"v": 1}
    assert state == 1
    assert (await store.read(lambda t: t.get_records(account_id, "Foo", ["a"])))[0].data == {"v": 2}


def test_concurrent_async_writers_get_distinct_modseqs(store: Store, account_id: str) -> None:
    """Threads writing at once through one store: each transaction gets its own modseq."""
    commits: list[int] = []
    lock = threading.Lock()

    def writer(n: int) -> None:
        for i in range(10):
            _, commit = store.write_sync(
                account_id, lambda txn, i=i: txn.create_record("Foo", f"t{n}-{i}", {})
            )
            with lock:
                commits.append(commit.modseq)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(commits) == list(range(1, 41))
    assert len(live_ids(store, account_id, "Foo")) == 40


def test_a_nested_write_fails_instead_of_hanging(store: Store, account_id: str) -> None:
    def outer(txn: WriteTxn) -> None:
        txn.create_record("Foo", "outer", {})
        store.write_sync(account_id, lambda inner: inner.create_record("Foo", "inner", {}))

    with pytest.raises(RuntimeError):
        store.write_sync(account_id, outer)
    assert live_ids(store, account_id, "Foo") == []
