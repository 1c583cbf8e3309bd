"""An Email's keywords and mailboxIds live in the mail index alone: changing them leaves the
stored record byte for byte as it was created, while Email/get, Email/changes and the mailbox
counts all follow the change; and migration 0009 moves records written before it to that form
without losing a flag."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import orjson
from mail_client import MailClient, message
from sqlite_support import rewind_schema, sqlite_of

from satchel.core.limits import CoreLimits
from satchel.store import open_store
from satchel.store.base import Account, Store


def stored_data(store: Store, email_id: str) -> bytes:
    conn = sqlite3.connect(sqlite_of(store).db_path)
    try:
        (data,) = conn.execute(
            "SELECT data FROM records WHERE type = 'Email' AND id = ?", (email_id,)
        ).fetchone()
    finally:
        conn.close()
    return bytes(data)


async def test_a_flag_change_leaves_the_record_as_created(mail: MailClient) -> None:
    email_id = await mail.deliver(message(), keywords=["$draft"])
    before = stored_data(mail.store, email_id)
    assert not {"keywords", "mailboxIds"} & set(orjson.loads(before))
    inbox, archive = await mail.mailbox_id("inbox"), await mail.mailbox_id("archive")
    state = (await mail.ok("Email/get", ids=[]))["state"]

    await mail.ok(
        "Email/set",
        update={
            email_id: {
                "keywords/$seen": True,
                "keywords/$draft": None,
                f"mailboxIds/{inbox}": None,
                f"mailboxIds/{archive}": True,
            }
        },
    )

    assert stored_data(mail.store, email_id) == before
    got = await mail.ok("Email/get", ids=[email_id], properties=["keywords", "mailboxIds"])
    assert got["list"][0]["keywords"] == {"$seen": True}
    assert got["list"][0]["mailboxIds"] == {archive: True}
    assert (await mail.ok("Email/changes", sinceState=state))["updated"] == [email_id]
    boxes = await mail.mailboxes()
    assert (boxes["inbox"]["totalEmails"], boxes["archive"]["totalEmails"]) == (0, 1)
    assert boxes["archive"]["unreadEmails"] == 0


async def test_records_written_before_0009_keep_their_flags(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    store = open_store(data_dir)
    try:
        user, _ = store.write_sync("", lambda txn: txn.create_user("alice", "x", None))
        account: Account = store.read_sync(lambda txn: txn.accounts_for_user(user.id))[0]
        mail = MailClient(store, user, [account], CoreLimits())
        email_id = await mail.deliver(message(), keywords=["$flagged"])
        inbox = await mail.mailbox_id("inbox")
    finally:
        store.close_sync()

    # As schema 8 stored it: the flags inside the record too.
    conn = sqlite3.connect(data_dir / "satchel.db", isolation_level=None)
    try:
        (raw,) = conn.execute("SELECT data FROM records WHERE id = ?", (email_id,)).fetchone()
        old = {**orjson.loads(raw), "keywords": {"$flagged": True}, "mailboxIds": {inbox: True}}
        conn.execute("UPDATE records SET data = ? WHERE id = ?", (orjson.dumps(old), email_id))
        rewind_schema(conn, 9)
    finally:
        conn.close()

    store = open_store(data_dir)  # migrates again
    try:
        assert not {"keywords", "mailboxIds"} & set(orjson.loads(stored_data(store, email_id)))
        mail = MailClient(store, user, [account], CoreLimits())
        got = await mail.ok("Email/get", ids=[email_id], properties=["keywords", "mailboxIds"])
        assert got["list"][0]["keywords"] == {"$flagged": True}
        assert got["list"][0]["mailboxIds"] == {inbox: True}
    finally:
        store.close_sync()
