"""Several worker *processes* share one data directory (`satchel serve --workers N`): their
writes to one account serialise through SQLite's write lock, so modseqs stay distinct, gapless
and in commit order, and no record is lost."""

from __future__ import annotations

import multiprocessing
from multiprocessing.synchronize import Barrier
from pathlib import Path
from queue import Queue

from satchel.store.base import Store

WRITES_PER_PROCESS = 25
PROCESSES = 3


def write_records(
    data_dir: str, account_id: str, worker: int, start: Barrier, out: Queue[object]
) -> None:
    """Runs in a spawned process: open the store, wait for the others, write one record per
    transaction and report the modseqs received."""
    from satchel.store.sqlite import SqliteStore

    store = SqliteStore.open(Path(data_dir))
    try:
        start.wait(60)  # everyone starts writing together
        modseqs = []
        for i in range(WRITES_PER_PROCESS):
            record_id = f"w{worker}-{i:03d}"
            _, commit = store.write_sync(
                account_id,
                lambda txn, r=record_id: txn.create_record("Foo", r, {"worker": worker}),
            )
            modseqs.append(commit.modseq)
        out.put((worker, modseqs))
    except BaseException as error:  # report, so the parent fails with the cause
        out.put((worker, repr(error)))
    finally:
        store.close_sync()


def test_processes_writing_one_account(store: Store, account_id: str, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(PROCESSES + 1)
    out: Queue[object] = context.Queue()
    processes = [
        context.Process(target=write_records, args=(str(data_dir), account_id, n, start, out))
        for n in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    # Let this process write too while the others do.
    start.wait(60)
    for i in range(WRITES_PER_PROCESS):
        store.write_sync(account_id, lambda txn, i=i: txn.create_record("Foo", f"main-{i:03d}", {}))
    results = dict(out.get(timeout=60) for _ in processes)  # type: ignore[misc]
    for process in processes:
        process.join(30)
        assert process.exitcode == 0

    total = WRITES_PER_PROCESS * (PROCESSES + 1)
    everything: list[int] = []
    for worker, modseqs in results.items():
        assert isinstance(modseqs, list), f"worker {worker} failed: {modseqs}"
        assert modseqs == sorted(modseqs), "a process sees its own commits in order"
        everything += modseqs
    assert len(set(everything)) == len(everything) == WRITES_PER_PROCESS * PROCESSES

    records = store.read_sync(lambda txn: txn.get_records(account_id, "Foo", None))
    assert len(records) == total
    assert sorted(r.created_modseq for r in records) == list(range(1, total + 1)), "gapless"
    assert store.read_sync(lambda txn: txn.account_modseq(account_id)) == total
    changes = store.read_sync(lambda txn: txn.changes_since(account_id, "Foo", 0, None))
    assert len(changes.created) == total and changes.new_modseq == total
