"""Mail-index test helpers: a handful of hand-made Emails, and helpers to write and query them
through the store's own transactions (a uniquely named module: no test imports a conftest)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from satchel.store.base import Store, WriteTxn
from satchel.store.mail_base import EmailIndexEntry, EmailQuery, EmailQueryResult

MAILBOXES = {"inbox": "inbox", "archive": None, "trash": "trash", "work": None}


def entry(email_id: str, **fields: Any) -> EmailIndexEntry:
    base = EmailIndexEntry(
        email_id=email_id,
        thread_id="T-" + email_id,
        mailbox_ids=("inbox",),
        keywords=(),
        received_at=1000,
        sent_at=None,
        size=100,
        has_attachment=False,
        from_sort="",
        to_sort="",
        subject_sort="",
        message_ids=(),
        from_text="",
        to_text="",
        cc_text="",
        bcc_text="",
        subject_text="",
        body_text="",
        attachment_names="",
        headers_text="",
    )
    return replace(base, **fields)


def _person(name: str) -> str:
    return f"{name.title()} Example <{name}@example.com>"


# id, thread, mailboxes, keywords, receivedAt, size, attachment, from, to, subject, sentAt
_TABLE = [
    ("a", "T1", "inbox", "", 1000, 500, False, "alice", "zed", "Hello World", 900),
    (
        "b",
        "T1",
        "inbox archive",
        "$seen",
        2000,
        1500,
        False,
        "bob",
        "yann",
        "Re: Hello World",
        1900,
    ),
    ("c", "T2", "archive", "$seen $Flagged", 3000, 300, True, "carol", "xavier", "Invoice", None),
    ("d", "T3", "trash", "", 4000, 4000, False, "dave", "walt", "Party", 3900),
    ("e", "T3", "inbox", "$seen", 5000, 250, False, "erin", "victor", "Party", 4900),
    ("f", "T4", "work", "$draft", 6000, 6000, True, "frank", "ursula", "Report", 5900),
    ("g", "T4", "work", "$flagged", 7000, 700, False, "grace", "tina", "Report", 6900),
    ("h", "T5", "inbox", "$seen", 8000, 800, True, "heidi", "sam", "Café menu", 7900),
]

BODIES = {
    "a": "Hi Bob, the quarterly numbers are in.",
    "b": "Thanks Alice! Numbers look good.",
    "c": "Please pay invoice #42 by Friday.",
    "d": "Party on Saturday at the lake.",
    "e": "Count me in for the party.",
    "f": "Draft of the quarterly report.",
    "g": "The report is 1 < 2 & done.",
    "h": "Today: crème brûlée and coffee.",
}


def sample_entries() -> list[EmailIndexEntry]:
    entries = []
    for eid, thread, boxes, kws, received, size, att, frm, to, subject, sent in _TABLE:
        entries.append(
            entry(
                eid,
                thread_id=thread,
                mailbox_ids=tuple(boxes.split()),
                keywords=tuple(kws.split()),
                received_at=received,
                sent_at=sent,
                size=size,
                has_attachment=att,
                from_sort=frm,
                to_sort=to,
                subject_sort=subject.lower().removeprefix("re: "),
                message_ids=(f"{eid}@example.com",),
                from_text=_person(frm),
                to_text=_person(to),
                cc_text=_person("ccuser") if eid == "c" else "",
                bcc_text=_person("bccuser") if eid == "d" else "",
                subject_text=subject,
                body_text=BODIES[eid],
                attachment_names="invoice.pdf" if eid == "c" else "",
                headers_text=(
                    f"From: {_person(frm)}\nSubject: {subject}\n"
                    + ("X-Spam-Flag: YES\n" if eid == "d" else "")
                    + ("X-Spam-Flag: NO\n" if eid == "e" else "")
                ),
            )
        )
    return entries


def create_mailboxes(txn: WriteTxn) -> None:
    for mailbox_id, role in MAILBOXES.items():
        txn.create_record("Mailbox", mailbox_id, {"name": mailbox_id, "role": role})


def index_entries(store: Store, account_id: str, entries: Sequence[EmailIndexEntry]) -> None:
    def write(txn: WriteTxn) -> None:
        for item in entries:
            txn.put_email_index(item)

    store.write_sync(account_id, write)


def run_query(
    store: Store,
    account_id: str,
    filter: Any = None,
    sort: Sequence[tuple[str, bool, str | None]] = (),
    *,
    collapse: bool = False,
    position: int = 0,
    limit: int | None = None,
    anchor: str | None = None,
    anchor_offset: int = 0,
    total: bool = True,
) -> EmailQueryResult:
    query = EmailQuery(filter=filter, sort=tuple(sort), collapse_threads=collapse)
    return store.read_sync(
        lambda txn: txn.query_emails(
            account_id, query, position, limit, anchor, anchor_offset, total
        )
    )


def ids(store: Store, account_id: str, filter: Any = None, **kwargs: Any) -> str:
    """The result ids joined into one string ("hgf..."), for compact tables."""
    return "".join(run_query(store, account_id, filter, **kwargs).ids)
