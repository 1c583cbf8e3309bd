"""The counter tables that index writes keep incrementally (mailbox_threads, thread_unread,
mailbox_counters) must hold exactly what a rebuild from the index computes, and each write must
mark as changed exactly the Mailboxes whose counts it moved (RFC 8621 section 2.2). Flag flips
are the common write: they are exercised on Emails in two Mailboxes, in the trash, and in threads
of several Emails, next to moves, re-indexing into another thread and deletes."""

from __future__ import annotations

import random
import sqlite3
from typing import Any, cast

import pytest
from mail_index_support import entry
from test_mail_counters import BOXES, Model, expected_counts, make_mailboxes

from satchel.store.base import Store, WriteTxn
from satchel.store.mail_base import MailboxCounts
from satchel.store.sqlite_mail_counts import counts_basis, rebuild

TABLES = ("mailbox_threads", "thread_unread", "mailbox_counters")


def _conn(txn: WriteTxn) -> sqlite3.Connection:
    conn = getattr(txn, "_conn", None)
    if not isinstance(conn, sqlite3.Connection):
        pytest.skip("the counter tables are SQLite's")
    return conn


def _tables(conn: sqlite3.Connection, account_id: str) -> dict[str, list[Any]]:
    return {
        table: sorted(conn.execute(f"SELECT * FROM {table} WHERE account_id = ?", (account_id,)))
        for table in TABLES
    }


def check_against_rebuild(store: Store, account_id: str) -> None:
    """The incremental tables equal a rebuild (which is rolled back)."""

    class Undo(Exception):
        pass

    seen: dict[str, dict[str, list[Any]]] = {}

    def compare(txn: WriteTxn) -> None:
        conn = _conn(txn)
        trash, current = counts_basis(conn, account_id)
        assert current
        seen["kept"] = _tables(conn, account_id)
        rebuild(conn, account_id, trash)
        seen["rebuilt"] = _tables(conn, account_id)
        raise Undo

    with pytest.raises(Undo):
        store.write_sync(account_id, compare)
    kept, rebuilt = seen["kept"], seen["rebuilt"]
    # A mailbox whose Emails all left keeps a row of zeros; a rebuild has no row for it.
    kept["mailbox_counters"] = [r for r in kept["mailbox_counters"] if any(r[2:])]
    assert kept == rebuilt


def counts(store: Store, account_id: str) -> dict[str, MailboxCounts]:
    return store.read_sync(lambda txn: txn.mailbox_counts(account_id, BOXES))


def marked_since(store: Store, account_id: str, modseq: int) -> set[str]:
    def read(txn: Any) -> set[str]:
        return cast(set[str], txn.mailbox_changes_since(account_id, modseq)[0])

    return store.read_sync(read)


def modseq(store: Store, account_id: str) -> int:
    return store.read_sync(lambda txn: txn.account_modseq(account_id))


@pytest.mark.parametrize("seed", range(8))
def test_flips_moves_and_deletes_keep_the_tables_equal_to_a_rebuild(
    store: Store, account_id: str, seed: int
) -> None:
    rng = random.Random(seed)
    store.write_sync(account_id, make_mailboxes)
    model: Model = {}
    keywords_of: dict[str, tuple[str, ...]] = {}
    # Few threads, many Emails: threads of several Emails, spread over mailboxes.
    for number in range(12):
        email_id = f"e{number}"
        boxes = tuple(rng.sample(BOXES, rng.choice([1, 1, 2])))
        keywords = rng.choice([(), ("$seen",), ("$flagged",)])
        thread = f"t{rng.randint(0, 3)}"
        store.write_sync(
            account_id,
            lambda txn, e=email_id, t=thread, b=boxes, k=keywords: txn.put_email_index(
                entry(e, thread_id=t, mailbox_ids=b, keywords=k)
            ),
        )
        model[email_id] = (thread, frozenset(boxes), "$seen" not in keywords)
        keywords_of[email_id] = keywords
    check_against_rebuild(store, account_id)

    for _ in range(60):
        email_id = rng.choice(sorted(model))
        thread, boxes, _unread = model[email_id]
        action = rng.random()
        new_thread = thread
        if action < 0.6:  # a flip: same mailboxes, $seen toggled (other keywords kept)
            keywords = tuple(k for k in keywords_of[email_id] if k != "$seen")
            if "$seen" not in keywords_of[email_id]:
                keywords += ("$seen",)
            new_boxes = boxes
        elif action < 0.8:  # a move, maybe with a flip
            new_boxes = frozenset(rng.sample(BOXES, rng.choice([1, 2])))
            keywords = rng.choice([(), ("$seen",), ("$draft", "$flagged")])
        elif action < 0.9:  # re-indexed into another thread
            new_thread = f"t{rng.randint(0, 3)}"
            new_boxes = frozenset(rng.sample(BOXES, rng.choice([1, 2])))
            keywords = rng.choice([(), ("$seen",)])
        else:
            keywords, new_boxes = (), frozenset()
        before_counts, before_modseq = counts(store, account_id), modseq(store, account_id)

        def write(
            txn: WriteTxn,
            e: str = email_id,
            b: frozenset[str] = new_boxes,
            k: tuple[str, ...] = keywords,
            t: str = new_thread,
            a: float = action,
        ) -> None:
            if a < 0.8:
                txn.set_email_flags(e, sorted(b), list(k))
            elif a < 0.9:
                txn.put_email_index(entry(e, thread_id=t, mailbox_ids=tuple(b), keywords=k))
            else:
                txn.delete_email_index(e)

        store.write_sync(account_id, write)
        if action >= 0.9:
            del model[email_id], keywords_of[email_id]
            if not model:
                break
        else:
            unread = "$seen" not in keywords and "$draft" not in keywords
            model[email_id] = (new_thread, new_boxes, unread)
            keywords_of[email_id] = keywords
        after_counts = counts(store, account_id)
        assert after_counts == expected_counts(model, "trash")
        moved = {box for box in BOXES if after_counts[box] != before_counts[box]}
        assert marked_since(store, account_id, before_modseq) == moved
        check_against_rebuild(store, account_id)


def test_a_flip_in_two_mailboxes_one_the_trash(store: Store, account_id: str) -> None:
    """Section 2: an unread Email in the inbox and the trash makes its thread unread in both;
    a read sibling elsewhere does not; reading it clears both and moves no total."""
    store.write_sync(account_id, make_mailboxes)

    def fill(txn: WriteTxn) -> None:
        txn.put_email_index(entry("x", thread_id="T", mailbox_ids=("inbox", "trash")))
        txn.put_email_index(
            entry("y", thread_id="T", mailbox_ids=("archive",), keywords=("$seen",))
        )
        txn.put_email_index(entry("z", thread_id="T", mailbox_ids=("trash",)))

    store.write_sync(account_id, fill)
    assert counts(store, account_id)["inbox"] == MailboxCounts(1, 1, 1, 1)
    assert counts(store, account_id)["archive"] == MailboxCounts(1, 0, 1, 1)
    assert counts(store, account_id)["trash"] == MailboxCounts(2, 2, 1, 1)

    before = modseq(store, account_id)
    store.write_sync(
        account_id, lambda txn: txn.set_email_flags("x", ["inbox", "trash"], ["$seen"])
    )
    found = counts(store, account_id)
    # z (unread, only in the trash) keeps the thread unread for the trash alone.
    assert found["inbox"] == MailboxCounts(1, 0, 1, 0)
    assert found["archive"] == MailboxCounts(1, 0, 1, 0)
    assert found["trash"] == MailboxCounts(2, 1, 1, 1)
    assert marked_since(store, account_id, before) == {"inbox", "archive", "trash"}
    check_against_rebuild(store, account_id)

    before = modseq(store, account_id)
    store.write_sync(account_id, lambda txn: txn.set_email_flags("x", ["inbox", "trash"], []))
    assert counts(store, account_id)["inbox"] == MailboxCounts(1, 1, 1, 1)
    assert counts(store, account_id)["archive"] == MailboxCounts(1, 0, 1, 1)
    assert counts(store, account_id)["trash"] == MailboxCounts(2, 2, 1, 1)
    assert marked_since(store, account_id, before) == {"inbox", "archive", "trash"}
    check_against_rebuild(store, account_id)


def test_a_flip_that_leaves_the_thread_unread_marks_only_its_mailbox(
    store: Store, account_id: str
) -> None:
    store.write_sync(account_id, make_mailboxes)

    def fill(txn: WriteTxn) -> None:
        txn.put_email_index(entry("x", thread_id="T", mailbox_ids=("inbox",)))
        txn.put_email_index(entry("y", thread_id="T", mailbox_ids=("archive",)))

    store.write_sync(account_id, fill)
    before = modseq(store, account_id)
    store.write_sync(account_id, lambda txn: txn.set_email_flags("x", ["inbox"], ["$seen"]))
    assert counts(store, account_id)["inbox"] == MailboxCounts(1, 0, 1, 1)  # y is unread
    assert counts(store, account_id)["archive"] == MailboxCounts(1, 1, 1, 1)
    assert marked_since(store, account_id, before) == {"inbox"}
    # A keyword that is not $seen or $draft changes no count and marks nothing.
    before = modseq(store, account_id)
    store.write_sync(
        account_id, lambda txn: txn.set_email_flags("x", ["inbox"], ["$seen", "$flagged"])
    )
    assert marked_since(store, account_id, before) == set()
    check_against_rebuild(store, account_id)
