"""`read_directory_memo`: a remembered directory read is only ever the read itself. Mail
flowing in does not make it read again; any change to users, tokens or accounts does, whether
this process's writer or another process made it."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator

import pytest
from sqlite_support import sqlite_of

from satchel.store.base import ReadTxn, Store, WriteTxn


def counting_read(store: Store) -> tuple[list[int], Callable[[], list[str]]]:
    """The names of alice's accounts, remembered; `calls` counts the real reads."""
    calls: list[int] = []

    def read(txn: ReadTxn) -> list[str]:
        calls.append(1)
        user = txn.user_by_name("alice")
        assert user is not None
        return [account.name for account in txn.accounts_for_user(user.id)]

    def remembered() -> list[str]:
        return store.read_directory_memo(("names", "alice"), read)

    return calls, remembered


def touch(txn: WriteTxn) -> None:
    txn.create_record("Note", txn.new_id(), {"title": "x"})


@pytest.fixture
def other_process(store: Store) -> Iterator[sqlite3.Connection]:
    """A connection of its own to the same file, as another process would have."""
    conn = sqlite3.connect(sqlite_of(store).db_path, isolation_level=None)
    yield conn
    conn.close()


async def test_mail_commits_keep_what_was_remembered(store: Store, account_id: str) -> None:
    calls, read = counting_read(store)
    names = read()
    await store.write(account_id, touch)  # moves the account's modseq and SQLite's data_version
    assert read() == names
    assert len(calls) == 1


async def test_this_process_changing_the_directory_forgets(store: Store, account_id: str) -> None:
    calls, read = counting_read(store)
    read()
    user = store.read_sync(lambda txn: txn.user_by_name("alice"))
    assert user is not None
    await store.write("", lambda txn: txn.set_password(user.id, "another hash"))
    read()
    assert len(calls) == 2


def test_another_process_renaming_an_account_forgets(
    store: Store, account_id: str, other_process: sqlite3.Connection
) -> None:
    calls, read = counting_read(store)
    assert read() != ["Renamed"]
    other_process.execute("UPDATE accounts SET name = 'Renamed' WHERE id = ?", (account_id,))
    assert read() == ["Renamed"]
    assert len(calls) == 2


def test_another_process_adding_a_token_forgets(
    store: Store, account_id: str, other_process: sqlite3.Connection
) -> None:
    calls, read = counting_read(store)
    read()
    other_process.execute(
        "INSERT INTO tokens (token_hash, user_id, name, created_at)"
        " SELECT 'h', owner_user_id, 'cli', 0 FROM accounts WHERE id = ?",
        (account_id,),
    )
    read()
    assert len(calls) == 2


def test_another_process_moving_only_a_modseq_keeps_it(
    store: Store, account_id: str, other_process: sqlite3.Connection
) -> None:
    calls, read = counting_read(store)
    read()
    other_process.execute(
        "INSERT INTO type_states (account_id, type, high) VALUES (?, 'Email', 41)"
        " ON CONFLICT (account_id, type) DO UPDATE SET high = excluded.high",
        (account_id,),
    )
    read()
    assert len(calls) == 1
