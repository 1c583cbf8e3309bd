"""The Mailbox counters kept by index writes must always equal the RFC 8621 section 2
definitions computed from scratch: checked after random sequences of index writes against a
plain-Python model, and across a move of the trash role (reads fall back to counting until the
next write rebuilds)."""

from __future__ import annotations

import random

import pytest
from mail_index_support import entry

from satchel.store.base import Store, WriteTxn
from satchel.store.mail_base import MailboxCounts

BOXES = ["inbox", "archive", "trash", "spam"]
Model = dict[str, tuple[str, frozenset[str], bool]]  # email -> (thread, mailboxes, unread)


def expected_counts(model: Model, trash: str | None) -> dict[str, MailboxCounts]:
    """RFC 8621 section 2, written as directly as possible."""
    result = {}
    for box in BOXES:
        inside = [e for e in model.values() if box in e[1]]
        threads = {e[0] for e in inside}
        unread_threads = set()
        for thread in threads:
            for other in model.values():
                if other[0] != thread or not other[2]:
                    continue
                if box == trash and trash in other[1]:
                    unread_threads.add(thread)
                if box != trash and other[1] != {trash}:
                    unread_threads.add(thread)
        result[box] = MailboxCounts(
            len(inside), sum(e[2] for e in inside), len(threads), len(unread_threads)
        )
    return result


def make_mailboxes(txn: WriteTxn) -> None:
    for box in BOXES:
        txn.create_record(
            "Mailbox", box, {"name": box, "role": "trash" if box == "trash" else None}
        )


@pytest.mark.parametrize("seed", range(6))
def test_counters_match_the_definition_after_random_writes(
    store: Store, account_id: str, seed: int
) -> None:
    rng = random.Random(seed)
    store.write_sync(account_id, make_mailboxes)
    model: Model = {}

    def step(txn: WriteTxn) -> None:
        for _ in range(rng.randint(1, 4)):
            action = rng.random()
            email_id = f"e{rng.randint(0, 14)}"
            boxes = frozenset(rng.sample(BOXES, rng.randint(1, 2)))
            keywords = rng.choice([(), ("$seen",), ("$draft",), ("$flagged",)])
            unread = "$seen" not in keywords and "$draft" not in keywords
            if action < 0.45 or (action < 0.75 and email_id not in model):
                thread = f"t{rng.randint(0, 4)}"
                txn.put_email_index(
                    entry(email_id, thread_id=thread, mailbox_ids=tuple(boxes), keywords=keywords)
                )
                model[email_id] = (thread, boxes, unread)
            elif action < 0.75:
                txn.set_email_flags(email_id, sorted(boxes), keywords)
                model[email_id] = (model[email_id][0], boxes, unread)
            else:
                txn.delete_email_index(email_id)
                model.pop(email_id, None)

    trash = "trash"
    for number in range(30):
        if number in (10, 20):  # the trash role moves: counted, then rebuilt by the next write
            old, trash = trash, ("spam" if trash == "trash" else "trash")

            def move(txn: WriteTxn, old: str = old, new: str = trash) -> None:
                txn.update_record("Mailbox", old, {"name": old, "role": None})
                txn.update_record("Mailbox", new, {"name": new, "role": "trash"})

            store.write_sync(account_id, move)
            found = store.read_sync(lambda txn: txn.mailbox_counts(account_id, BOXES))
            assert found == expected_counts(model, trash)
        store.write_sync(account_id, step)
        found = store.read_sync(lambda txn: txn.mailbox_counts(account_id, BOXES))
        assert found == expected_counts(model, trash)


def test_moving_the_trash_role_recounts(store: Store, account_id: str) -> None:
    store.write_sync(account_id, make_mailboxes)

    def fill(txn: WriteTxn) -> None:
        txn.put_email_index(entry("x", thread_id="T", mailbox_ids=("trash",)))
        txn.put_email_index(entry("y", thread_id="T", mailbox_ids=("inbox",), keywords=("$seen",)))
        txn.put_email_index(entry("z", thread_id="U", mailbox_ids=("spam",)))

    store.write_sync(account_id, fill)
    model: Model = {
        "x": ("T", frozenset({"trash"}), True),
        "y": ("T", frozenset({"inbox"}), False),
        "z": ("U", frozenset({"spam"}), True),
    }

    def read() -> dict[str, MailboxCounts]:
        return store.read_sync(lambda txn: txn.mailbox_counts(account_id, BOXES))

    assert read() == expected_counts(model, "trash")

    def move_role(txn: WriteTxn) -> None:
        txn.update_record("Mailbox", "trash", {"name": "trash", "role": None})
        txn.update_record("Mailbox", "spam", {"name": "spam", "role": "trash"})

    store.write_sync(account_id, move_role)
    assert read() == expected_counts(model, "spam")  # counted, not from stale counters
    store.write_sync(account_id, lambda txn: txn.delete_email_index("z"))
    del model["z"]
    assert read() == expected_counts(model, "spam")  # rebuilt

    store.write_sync(account_id, lambda txn: txn.destroy_record("Mailbox", "spam"))
    assert read() == expected_counts(model, None)


def test_an_inmailbox_total_is_the_mailbox_count(store: Store, mail_account: str) -> None:
    from mail_index_support import run_query

    for box in ("inbox", "archive", "work", "nowhere"):
        counts = store.read_sync(lambda txn, box=box: txn.mailbox_counts(mail_account, [box]))[box]
        assert (
            run_query(store, mail_account, {"inMailbox": box}, limit=1).total == counts.total_emails
        )
        collapsed = run_query(store, mail_account, {"inMailbox": box}, limit=1, collapse=True)
        assert collapsed.total == counts.total_threads
