"""Mailbox counts (RFC 8621 section 2: unread is neither $seen nor $draft; unreadThreads with the
trash rules), index writes (flags, replace, delete), counts-changed tracking for Mailbox/changes
`updatedProperties` (section 2.2), rollback consistency and user deletion."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from mail_index_support import MAILBOXES, entry, ids, index_entries, run_query

from satchel.store.base import ReadTxn, Store, WriteTxn
from satchel.store.mail_base import MailboxCounts


def counts(store: Store, account_id: str) -> dict[str, tuple[int, int, int, int]]:
    found = store.read_sync(lambda txn: txn.mailbox_counts(account_id, [*MAILBOXES, "none"]))
    return {
        k: (v.total_emails, v.unread_emails, v.total_threads, v.unread_threads)
        for k, v in found.items()
    }


def test_counts_follow_the_rfc_definitions(store: Store, mail_account: str) -> None:
    assert counts(store, mail_account) == {
        # a (unread), b, e, h; threads T1 T3 T5; T3's unread email is only in the trash
        "inbox": (4, 1, 3, 1),
        # b, c: both seen, but T1's unread "a" (in the inbox) makes T1 unread here too
        "archive": (2, 0, 2, 1),
        "trash": (1, 1, 1, 1),
        # f is a $draft: not unread
        "work": (2, 1, 1, 1),
        "none": (0, 0, 0, 0),
    }


def test_rfc_trash_example(store: Store, account_id: str) -> None:
    """Section 2: one Thread, an unread Email in the trash and a read one in the inbox:
    unreadThreads is 1 for the trash and 0 for the inbox."""
    from mail_index_support import create_mailboxes

    store.write_sync(account_id, create_mailboxes)
    index_entries(
        store,
        account_id,
        [
            entry("x", thread_id="T", mailbox_ids=("trash",)),
            entry("y", thread_id="T", mailbox_ids=("inbox",), keywords=("$seen",)),
        ],
    )
    found = counts(store, account_id)
    assert found["trash"] == (1, 1, 1, 1)
    assert found["inbox"] == (1, 0, 1, 0)


def test_without_a_trash_mailbox_every_unread_email_counts(store: Store, account_id: str) -> None:
    index_entries(
        store,
        account_id,
        [
            entry("x", thread_id="T", mailbox_ids=("bin",)),
            entry("y", thread_id="T", mailbox_ids=("inbox",), keywords=("$seen",)),
        ],
    )
    found = store.read_sync(lambda txn: txn.mailbox_counts(account_id, ["inbox"]))
    assert found == {"inbox": MailboxCounts(1, 0, 1, 1)}


def test_set_flags_moves_and_marks(store: Store, mail_account: str) -> None:
    def write(txn: WriteTxn) -> None:
        txn.set_email_flags("a", ["archive", "work"], ["$Seen", "$flagged"])

    store.write_sync(mail_account, write)
    assert ids(store, mail_account, {"inMailbox": "inbox"}) == "heb"
    assert ids(store, mail_account, {"inMailbox": "work"}) == "gfa"
    assert ids(store, mail_account, {"hasKeyword": "$seen"}) == "hecba"
    assert ids(store, mail_account, {"hasKeyword": "$flagged"}) == "gca"
    assert ids(store, mail_account, {"text": "quarterly"}) == "fa"  # text untouched
    assert counts(store, mail_account)["inbox"] == (3, 0, 3, 0)
    assert counts(store, mail_account)["work"] == (3, 1, 2, 1)

    with pytest.raises(KeyError):
        store.write_sync(mail_account, lambda txn: txn.set_email_flags("nope", ["inbox"], []))


def test_put_replaces_the_whole_index_of_an_email(store: Store, mail_account: str) -> None:
    index_entries(
        store,
        mail_account,
        [entry("a", thread_id="T2", mailbox_ids=("work",), subject_text="Brand new", size=10)],
    )
    assert ids(store, mail_account, {"text": "hello"}) == "b"
    assert ids(store, mail_account, {"text": "brand"}) == "a"
    assert ids(store, mail_account, {"inMailbox": "work"}) == "gfa"
    assert ids(store, mail_account, {"someInThreadHaveKeyword": "$flagged"}) == "gfca"
    assert len(run_query(store, mail_account).ids) == 8


def test_delete_forgets_everything(store: Store, mail_account: str) -> None:
    def write(txn: WriteTxn) -> None:
        txn.delete_email_index("a")
        txn.delete_email_index("a")  # already gone: a no-op
        txn.delete_email_index("never")

    store.write_sync(mail_account, write)
    assert ids(store, mail_account) == "hgfedcb"
    assert ids(store, mail_account, {"text": "quarterly"}) == "f"
    assert counts(store, mail_account)["inbox"] == (3, 0, 3, 0)
    assert (
        store.read_sync(lambda txn: txn.thread_for_message_ids(mail_account, ["a@example.com"]))
        is None
    )


def test_emails_in_mailbox(store: Store, mail_account: str) -> None:
    def read(txn: ReadTxn) -> list[list[str]]:
        return [txn.emails_in_mailbox(mail_account, m) for m in ("inbox", "trash", "none")]

    assert store.read_sync(read) == [list("heba"), ["d"], []]


def test_a_rolled_back_write_leaves_no_index(store: Store, mail_account: str) -> None:
    class Boom(Exception):
        pass

    def write(txn: WriteTxn) -> None:
        txn.create_record("Email", "z", {"subject": "zebra"})
        txn.put_email_index(entry("z", subject_text="zebra", mailbox_ids=("inbox",)))
        txn.set_email_flags("a", ["trash"], ["$seen"])
        txn.delete_email_index("h")
        txn.mark_mailbox_counts_changed(["inbox"])
        raise Boom

    before = counts(store, mail_account)
    with pytest.raises(Boom):
        store.write_sync(mail_account, write)
    assert ids(store, mail_account) == "hgfedcba"
    assert ids(store, mail_account, {"text": "zebra"}) == ""
    assert ids(store, mail_account, {"text": "menu"}) == "h"
    assert counts(store, mail_account) == before
    assert store.read_sync(lambda txn: txn.get_records(mail_account, "Email", ["z"])) == []


def test_a_rolled_back_savepoint_leaves_no_index(store: Store, mail_account: str) -> None:
    class Refused(Exception):
        pass

    def write(txn: WriteTxn) -> None:
        with pytest.raises(Refused), txn.savepoint():
            txn.put_email_index(entry("z", subject_text="zebra"))
            txn.mark_mailbox_counts_changed(["inbox"])
            raise Refused
        txn.put_email_index(entry("y", subject_text="yak"))

    store.write_sync(mail_account, write)
    assert ids(store, mail_account, {"text": "zebra"}) == ""
    assert ids(store, mail_account, {"text": "yak"}) == "y"


def _state(store: Store, account_id: str) -> int:
    return store.read_sync(lambda txn: txn.type_state(account_id, "Mailbox").high)


def _since(store: Store, account_id: str, since: int) -> tuple[list[str], set[str], bool]:
    def read(txn: ReadTxn) -> tuple[list[str], set[str], bool]:
        changes = txn.changes_since(account_id, "Mailbox", since, None)
        counted, other = txn.mailbox_changes_since(account_id, since)
        return sorted(changes.updated), counted, other

    return store.read_sync(read)


def test_counts_changes_are_told_apart_from_property_changes(
    store: Store, mail_account: str
) -> None:
    start = _state(store, mail_account)
    assert _since(store, mail_account, start) == ([], set(), False)

    _, commit = store.write_sync(
        mail_account, lambda txn: txn.mark_mailbox_counts_changed(["inbox", "work", "nope"])
    )
    assert commit.changed_types == {"Mailbox"}
    counted = _state(store, mail_account)
    assert counted > start
    assert _since(store, mail_account, start) == (["inbox", "work"], {"inbox", "work"}, False)

    def rename(txn: WriteTxn) -> None:
        txn.update_record("Mailbox", "archive", {"name": "Old", "role": None})

    store.write_sync(mail_account, rename)
    assert _since(store, mail_account, counted) == (["archive"], set(), True)
    assert _since(store, mail_account, start) == (
        ["archive", "inbox", "work"],
        {"inbox", "work"},
        True,
    )
    renamed = _state(store, mail_account)

    # Property and count changes of one mailbox in one transaction: not counts only.
    def both(txn: WriteTxn) -> None:
        txn.update_record("Mailbox", "work", {"name": "Job", "role": None})
        txn.mark_mailbox_counts_changed(["work"])

    store.write_sync(mail_account, both)
    assert _since(store, mail_account, renamed) == (["work"], {"work"}, True)
    after_both = _state(store, mail_account)

    # Counts first, then a property change, in one transaction: still caught.
    def counts_then_props(txn: WriteTxn) -> None:
        txn.mark_mailbox_counts_changed(["trash"])
        txn.update_record("Mailbox", "trash", {"name": "Bin", "role": "trash"})

    store.write_sync(mail_account, counts_then_props)
    assert _since(store, mail_account, after_both) == (["trash"], {"trash"}, True)

    # Creating and destroying mailboxes are property changes too.
    created = _state(store, mail_account)
    store.write_sync(mail_account, lambda txn: txn.create_record("Mailbox", "new", {"name": "N"}))
    assert _since(store, mail_account, created)[2] is True
    destroyed = _state(store, mail_account)
    store.write_sync(mail_account, lambda txn: txn.destroy_record("Mailbox", "new"))
    assert _since(store, mail_account, destroyed)[2] is True


def test_marking_unknown_or_no_mailboxes_changes_nothing(store: Store, mail_account: str) -> None:
    start = _state(store, mail_account)
    _, commit = store.write_sync(
        mail_account,
        lambda txn: (
            txn.mark_mailbox_counts_changed([]),
            txn.mark_mailbox_counts_changed(["nope"]),
        ),
    )
    assert commit.changed_types == set()
    assert _state(store, mail_account) == start


def test_deleting_the_user_deletes_the_mail_index(
    store: Store, mail_account: str, other_account_id: str, tmp_path: Path
) -> None:
    index_entries(store, other_account_id, [entry("bobs", subject_text="hello bob")])

    def delete(txn: WriteTxn) -> None:
        user = txn.user_by_name("alice")
        assert user is not None
        txn.delete_user(user.id)

    store.write_sync("", delete)
    assert ids(store, mail_account) == ""
    assert ids(store, other_account_id, {"text": "hello"}) == "bobs"
    conn = sqlite3.connect(tmp_path / "data" / "satchel.db")
    try:
        for table in ("emails", "email_mailboxes", "email_keywords", "email_message_ids"):
            assert conn.execute(
                f"SELECT COUNT(*) FROM {table} WHERE account_id = ?", (mail_account,)
            ).fetchone() == (0,)
        assert conn.execute("SELECT COUNT(*) FROM email_fts").fetchone() == (1,)
        assert conn.execute(
            "SELECT COUNT(*) FROM mailbox_modseqs WHERE account_id = ?", (mail_account,)
        ).fetchone() == (0,)
    finally:
        conn.close()
