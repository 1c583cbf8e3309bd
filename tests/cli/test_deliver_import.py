"""`satchel deliver`, `satchel import` and `satchel user alias` as real subprocesses, checked
through the store the server would serve them from."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from satchel.store import open_store
from satchel.store.base import Record, Store

RunCli = Callable[..., subprocess.CompletedProcess[str]]  # the `run_cli` fixture (conftest.py)


def cli_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SATCHEL_")}
    env["NO_COLOR"] = "1"
    return env


MESSAGE = b"From: Carol <carol@example.net>\nTo: alice@localhost\nSubject: %s\n\nHello.\n"


def deliver(data_dir: Path, *args: str, message: bytes) -> subprocess.CompletedProcess[bytes]:
    argv = [sys.executable, "-m", "satchel", "deliver", *args, "--data", str(data_dir)]
    result = subprocess.run(argv, input=message, capture_output=True, env=cli_env(), timeout=60)
    assert b"Traceback" not in result.stderr, result.stderr
    return result


@pytest.fixture
def alice(run_cli: RunCli) -> None:
    assert run_cli("user", "add", "alice", "--password-stdin", input="pw\n").returncode == 0


def _open(data_dir: Path) -> Iterator[Store]:
    store = open_store(data_dir)
    try:
        yield store
    finally:
        store.close_sync()


@pytest.fixture
def store(data_dir: Path, alice: None) -> Iterator[Store]:
    yield from _open(data_dir)


def account(store: Store, name: str = "alice") -> str:
    user = store.read_sync(lambda txn: txn.user_by_name(name))
    assert user is not None
    return store.read_sync(lambda txn: txn.accounts_for_user(user.id))[0].id


def emails(store: Store, name: str = "alice") -> list[Record]:
    account_id = account(store, name)
    return store.read_sync(lambda txn: txn.get_records(account_id, "Email", None))


def roles(store: Store, name: str = "alice") -> dict[str, str]:
    account_id = account(store, name)
    boxes = store.read_sync(lambda txn: txn.get_records(account_id, "Mailbox", None))
    return {str(b.data["role"]): b.id for b in boxes if b.data.get("role")}


def by_subject(store: Store, name: str = "alice") -> dict[str, Record]:
    return {str(r.data["subject"]): r for r in emails(store, name)}


# --- user add provisions ----------------------------------------------------------------------


def test_user_add_gives_the_account_its_role_mailboxes(store: Store) -> None:
    assert set(roles(store)) >= {"inbox", "drafts", "sent", "trash", "junk", "archive"}


# --- deliver ----------------------------------------------------------------------------------


def test_deliver_stores_the_message_in_the_inbox_with_crlf_lines(
    data_dir: Path, store: Store
) -> None:
    result = deliver(data_dir, "alice", message=MESSAGE % b"one")
    assert result.returncode == 0, result.stderr
    [record] = emails(store)
    assert record.data["mailboxIds"] == {roles(store)["inbox"]: True}
    raw = store.blobs.open(record.data["blobId"])
    assert raw is not None and b"Subject: one\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")


def test_deliver_to_addresses_plus_folders_and_mailbox_option(data_dir: Path, store: Store) -> None:
    assert deliver(data_dir, "ALICE@localhost", message=MESSAGE % b"addr").returncode == 0
    assert deliver(data_dir, "alice+Archive@localhost", message=MESSAGE % b"plus").returncode == 0
    assert deliver(data_dir, "alice+nothing@localhost", message=MESSAGE % b"nope").returncode == 0
    assert deliver(data_dir, "alice", "--mailbox", "junk", message=MESSAGE % b"opt").returncode == 0
    box = roles(store)
    placed = {s: next(iter(r.data["mailboxIds"])) for s, r in by_subject(store).items()}
    assert placed == {
        "addr": box["inbox"],
        "plus": box["archive"],
        "nope": box["inbox"],
        "opt": box["junk"],
    }


def test_deliver_exit_codes_tell_the_mta_what_to_do(data_dir: Path, store: Store) -> None:
    assert deliver(data_dir, "carol", message=MESSAGE % b"x").returncode == 67
    assert deliver(data_dir, "carol@localhost", message=MESSAGE % b"x").returncode == 67
    assert deliver(data_dir, "alice@elsewhere.net", message=MESSAGE % b"x").returncode == 67
    assert deliver(data_dir, "alice", message=b"").returncode == 65
    failed = deliver(data_dir, "alice", "--mailbox", "No Such Box", message=MESSAGE % b"x")
    assert failed.returncode == 75 and b"no mailbox" in failed.stderr
    missing = deliver(data_dir / "absent", "alice", message=MESSAGE % b"x")
    assert missing.returncode == 75
    assert emails(store) == []


# --- aliases ----------------------------------------------------------------------------------


def test_alias_commands_and_delivery_to_an_alias(
    run_cli: RunCli, data_dir: Path, store: Store
) -> None:
    assert run_cli("user", "add", "bob", "--password-stdin", input="pw\n").returncode == 0
    added = run_cli("user", "alias", "add", "alice", "Sales@LOCALHOST")
    assert added.returncode == 0, added.stderr
    assert run_cli("user", "alias", "add", "bob", "sales@localhost").returncode == 1
    assert run_cli("user", "alias", "add", "alice", "bob@localhost").returncode == 1
    assert run_cli("user", "alias", "add", "alice", "x@example.com").returncode == 1
    listed = run_cli("user", "alias", "list", "alice")
    assert listed.stdout.split() == ["alice@localhost", "sales@localhost"]

    assert deliver(data_dir, "sales+archive@localhost", message=MESSAGE % b"lead").returncode == 0
    [record] = emails(store)
    assert record.data["mailboxIds"] == {roles(store)["archive"]: True}

    assert run_cli("user", "alias", "remove", "bob", "sales@localhost").returncode == 1
    assert run_cli("user", "alias", "remove", "alice", "sales@localhost").returncode == 0
    assert deliver(data_dir, "sales@localhost", message=MESSAGE % b"gone").returncode == 67


# --- import: mbox -----------------------------------------------------------------------------

TRICKY_MBOX = b"""From alice@example.org Mon Jan  1 10:00:00 2024
From: a@example.org
Subject: first
Status: RO

From here on the body talks about From lines.
>From the escaped line
>>From a doubly escaped line

From bob@example.org Tue Jan  2 11:30:00 2024
From: b@example.org
Subject: second
X-Status: AF

Body of the second.
From someone Wed Jan  3 12:00:00 2024 (not a separator: no blank line before)

From carol@example.org Wed Jan  3 12:00:00 2024
From: c@example.org
Subject: third

"""


def test_import_mbox_splits_only_at_real_from_lines_and_unescapes(
    run_cli: RunCli, tmp_path: Path, store: Store
) -> None:
    mbox = tmp_path / "mail.mbox"
    mbox.write_bytes(TRICKY_MBOX)
    result = run_cli("import", "alice", str(mbox))
    assert result.returncode == 0, result.stderr
    assert "Imported 3 messages" in result.stdout
    found = by_subject(store)
    assert set(found) == {"first", "second", "third"}

    first = store.blobs.open(found["first"].data["blobId"])
    assert first is not None
    assert first.endswith(
        b"\r\nFrom here on the body talks about From lines.\r\n"
        b"From the escaped line\r\n>From a doubly escaped line\r\n"
    )
    second = store.blobs.open(found["second"].data["blobId"])
    assert second is not None
    assert second.endswith(
        b"Body of the second.\r\n"
        b"From someone Wed Jan  3 12:00:00 2024 (not a separator: no blank line before)\r\n"
    )
    assert found["first"].data["keywords"] == {"$seen": True}
    assert found["second"].data["keywords"] == {"$answered": True, "$flagged": True}
    assert found["third"].data["keywords"] == {}
    assert found["first"].data["receivedAt"] == "2024-01-01T10:00:00Z"
    assert all(r.data["mailboxIds"] == {roles(store)["inbox"]: True} for r in found.values())


def test_import_into_a_named_mailbox_and_an_unknown_one(
    run_cli: RunCli, tmp_path: Path, store: Store
) -> None:
    mbox = tmp_path / "mail.mbox"
    mbox.write_bytes(TRICKY_MBOX)
    assert run_cli("import", "alice", str(mbox), "--mailbox", "Archive").returncode == 0
    assert {next(iter(r.data["mailboxIds"])) for r in emails(store)} == {roles(store)["archive"]}
    other = tmp_path / "other.mbox"
    other.write_bytes(TRICKY_MBOX)
    refused = run_cli("import", "alice", str(other), "--mailbox", "Nope")
    assert refused.returncode == 1 and "no mailbox" in refused.stderr
    assert run_cli("import", "nobody", str(mbox)).returncode == 1
    assert run_cli("import", "alice", str(tmp_path / "missing")).returncode == 2


def mbox_of(first: int, count: int) -> bytes:
    return b"".join(
        b"From x@example.org Mon Jan  1 10:00:00 2024\n" + MESSAGE % b"m%d" % i + b"\n"
        for i in range(first, first + count)
    )


def test_import_resumes_where_it_stopped(run_cli: RunCli, tmp_path: Path, store: Store) -> None:
    mbox = tmp_path / "grows.mbox"
    mbox.write_bytes(mbox_of(0, 5))
    assert run_cli("import", "alice", str(mbox), "--batch", "2").returncode == 0
    with mbox.open("ab") as more:
        more.write(mbox_of(5, 3))
    again = run_cli("import", "alice", str(mbox), "--batch", "2")
    assert "Imported 3 messages" in again.stdout, again.stdout
    assert sorted(by_subject(store)) == sorted(f"m{i}" for i in range(8))
    # --restart forgets the progress (and imports everything a second time).
    assert "Imported 8 messages" in run_cli("import", "alice", str(mbox), "--restart").stdout


def test_import_survives_being_killed(data_dir: Path, tmp_path: Path, store: Store) -> None:
    total = 200
    mbox = tmp_path / "big.mbox"
    mbox.write_bytes(mbox_of(0, total))
    argv = [sys.executable, "-m", "satchel", "import", "alice", str(mbox), "--batch", "1"]
    argv += ["--data", str(data_dir)]
    proc = subprocess.Popen(
        argv, env=cli_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    journal_dir = data_dir / "import-progress"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        journals = list(journal_dir.glob("*.jsonl")) if journal_dir.exists() else []
        if journals and len(journals[0].read_text().splitlines()) >= 5:
            break
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    done_before = len(emails(store))
    assert 0 < done_before < total, "the kill did not land mid-import"

    argv = [sys.executable, "-m", "satchel", "import", "alice", str(mbox), "--data", str(data_dir)]
    rerun = subprocess.run(argv, env=cli_env(), capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    subjects = [str(r.data["subject"]) for r in emails(store)]
    # Every message once; the single batch in flight at the kill may be there twice.
    assert set(subjects) == {f"m{i}" for i in range(total)}
    assert total <= len(subjects) <= total + 1


# --- import: Maildir --------------------------------------------------------------------------


def test_import_maildir_maps_flags_to_keywords(
    run_cli: RunCli, tmp_path: Path, store: Store
) -> None:
    maildir = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    files = {
        "new/1700000001.M1.host": b"new",
        "cur/1700000002.M2.host:2,S": b"seen",
        "cur/1700000003.M3.host:2,FRS": b"replied",
        "cur/1700000004.M4.host:2,D": b"draft",
        "cur/1700000005.M5.host:2,ST": b"trashed",
        "tmp/1700000006.M6.host": b"half-written",
    }
    for name, subject in files.items():
        (maildir / name).write_bytes(MESSAGE % subject)
    result = run_cli("import", "alice", str(maildir))
    assert result.returncode == 0, result.stderr
    keywords = {s: sorted(r.data["keywords"]) for s, r in by_subject(store).items()}
    assert keywords == {
        "new": [],
        "seen": ["$seen"],
        "replied": ["$answered", "$flagged", "$seen"],
        "draft": ["$draft"],
    }
    # A re-run finds nothing new; --keep-deleted brings the trashed one with $deleted.
    assert "Imported 0 messages" in run_cli("import", "alice", str(maildir)).stdout
    kept = run_cli("import", "alice", str(maildir), "--keep-deleted")
    assert "Imported 1 messages" in kept.stdout
    assert sorted(by_subject(store)["trashed"].data["keywords"]) == ["$deleted", "$seen"]


# --- the mbox reader and the journal, directly ---------------------------------------------------


def test_mbox_with_crlf_lines_and_leading_junk(tmp_path: Path) -> None:
    from satchel.importer import mbox_messages

    mbox = tmp_path / "crlf.mbox"
    mbox.write_bytes(
        b"junk before the first message\r\n\r\n"
        b"From a@b Mon Jan  1 10:00:00 2024\r\nSubject: one\r\n\r\nx\r\n\r\n"
        b"From a@b Mon Jan  1 10:00:01 2024\r\nSubject: two\r\n\r\ny\r\n"
    )
    found = list(mbox_messages(mbox))
    assert [m.raw for m, _ in found] == [b"Subject: one\r\n\r\nx\r\n", b"Subject: two\r\n\r\ny\r\n"]
    # Each offset is where the next message starts (the end, for the last one).
    assert found[-1][1] == mbox.stat().st_size
    again = list(mbox_messages(mbox, found[0][1]))
    assert [m.raw for m, _ in again] == [found[1][0].raw]


def test_an_empty_mbox_imports_nothing(run_cli: RunCli, tmp_path: Path, store: Store) -> None:
    mbox = tmp_path / "empty.mbox"
    mbox.write_bytes(b"")
    result = run_cli("import", "alice", str(mbox))
    assert result.returncode == 0 and "Imported 0 messages" in result.stdout


def test_a_rewritten_mbox_is_not_resumed_blindly(
    run_cli: RunCli, tmp_path: Path, store: Store
) -> None:
    mbox = tmp_path / "rewritten.mbox"
    mbox.write_bytes(mbox_of(0, 3))
    assert run_cli("import", "alice", str(mbox)).returncode == 0
    mbox.write_bytes(b"X" * 10 + mbox_of(10, 3))  # the old end is no longer a boundary
    refused = run_cli("import", "alice", str(mbox))
    assert refused.returncode == 1 and "--restart" in refused.stderr
    assert len(emails(store)) == 3


def test_a_torn_journal_line_is_skipped(tmp_path: Path) -> None:
    from satchel.importer import ProgressJournal

    journal = ProgressJournal(tmp_path, tmp_path / "src", "acct")
    journal.append({"offset": 10})
    journal.append({"offset": 20})
    with journal.path.open("a") as torn:
        torn.write('{"offset": 3')  # a crash mid-write
    assert journal.mbox_offset() == 20
    journal.append({"offset": 40})  # the next run's progress is read back whole
    assert journal.mbox_offset() == 40
