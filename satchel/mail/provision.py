"""A mail account's starting mailboxes (CONTRACT.md point 7; RFC 8621 section 2 roles from the
IANA "IMAP Mailbox Name Attributes" registry): Inbox, Drafts, Sent, Trash, Junk and Archive.

`ensure_mail_account` runs inside a write transaction (ingest calls it before delivering);
`provision_account` is for the CLI; `provision_lazily` is what mail methods call first, with a
per-process memory of accounts already seen provisioned so the check costs nothing after once."""

from __future__ import annotations

import weakref
from typing import Final

from satchel.store.base import CommitResult, ReadTxn, Store, WriteTxn

MAILBOX_TYPE: Final = "Mailbox"

# (role, name, sortOrder): clients show role mailboxes in this order.
ROLE_MAILBOXES: Final = (
    ("inbox", "Inbox", 1),
    ("drafts", "Drafts", 2),
    ("sent", "Sent", 3),
    ("archive", "Archive", 4),
    ("junk", "Junk", 5),
    ("trash", "Trash", 6),
)


def ensure_mail_account(txn: WriteTxn) -> list[str]:
    """Create the role mailboxes when the transaction's account has no mailbox at all; return
    the ids created (none when the account already had mailboxes)."""
    if txn.get_records(txn.account_id, MAILBOX_TYPE, None):
        return []
    created = []
    for role, name, sort_order in ROLE_MAILBOXES:
        mailbox_id = txn.new_id()
        txn.create_record(
            MAILBOX_TYPE,
            mailbox_id,
            {
                "name": name,
                "parentId": None,
                "role": role,
                "sortOrder": sort_order,
                "isSubscribed": True,
            },
        )
        created.append(mailbox_id)
    return created


async def provision_account(store: Store, account_id: str) -> list[str]:
    """Give an account its role mailboxes if it has none (for `satchel user add`)."""
    created, _ = await store.write(account_id, ensure_mail_account)
    return created


_provisioned: weakref.WeakKeyDictionary[Store, set[str]] = weakref.WeakKeyDictionary()


async def provision_lazily(store: Store, account_id: str) -> CommitResult | None:
    """Provision an account on its first mail method call in this process; the commit, if the
    call created mailboxes (for the push bus), else None."""
    seen = _provisioned.setdefault(store, set())
    if account_id in seen:
        return None

    def has_mailboxes(txn: ReadTxn) -> bool:
        # A Mailbox state above zero means mailboxes were created here before (provisioned).
        return txn.type_state(account_id, MAILBOX_TYPE).high > 0

    commit = None
    if not await store.read(has_mailboxes):
        created, commit = await store.write(account_id, ensure_mail_account)
        if not created:
            commit = None
    seen.add(account_id)
    return commit
