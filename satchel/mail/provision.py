"""A mail account's starting mailboxes (CONTRACT.md point 7; RFC 8621 section 2 roles from the
IANA "IMAP Mailbox Name Attributes" registry): Inbox, Drafts, Sent, Trash, Junk and Archive; and
its default Identity (RFC 8621 section 6) for the owner's own address, and its one
VacationResponse (RFC 8621 section 8), disabled.

`ensure_mail_account` runs inside a write transaction (ingest calls it before delivering);
`provision_account` is for the CLI; `provision_lazily` is what mail, Identity, EmailSubmission
and VacationResponse methods call first, with a per-process memory of accounts already seen
provisioned so the check costs nothing after once. The Identity needs the server's domain, which
only the lazy path and callers passing `settings` know: an account that only ever received mail
gets its Identity (and VacationResponse) on its first such method call, before any client can
look for them.

The default Identity has mayDelete false: it is the address the account is known by, every
submission falls back on it, and a destroyed one would not come back (provisioning runs once),
leaving a client nothing to send as. Its name, signatures, replyTo and bcc stay editable."""

from __future__ import annotations

import weakref
from typing import Final

from satchel.config import Settings
from satchel.mail.recipients import primary_address
from satchel.store.base import CommitResult, ReadTxn, Store, WriteTxn

MAILBOX_TYPE: Final = "Mailbox"
IDENTITY_TYPE: Final = "Identity"
VACATION_TYPE: Final = "VacationResponse"
VACATION_ID: Final = "singleton"  # RFC 8621 section 8: the one VacationResponse's id

# (role, name, sortOrder): clients show role mailboxes in this order.
ROLE_MAILBOXES: Final = (
    ("inbox", "Inbox", 1),
    ("drafts", "Drafts", 2),
    ("sent", "Sent", 3),
    ("archive", "Archive", 4),
    ("junk", "Junk", 5),
    ("trash", "Trash", 6),
)


def ensure_mail_account(txn: WriteTxn, settings: Settings | None = None) -> list[str]:
    """Create the role mailboxes when the transaction's account has no mailbox at all, and
    (given the settings) its default Identity and its VacationResponse when it never had them;
    return the mailbox ids created (none when the account already had mailboxes)."""
    if settings is not None:
        ensure_default_identity(txn, settings)
        ensure_vacation_response(txn)
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


def ensure_default_identity(txn: WriteTxn, settings: Settings) -> str | None:
    """Create the Identity for the account owner's address (name: the username) unless the
    account ever had an Identity (its Identity state is above zero); its id, else None."""
    if txn.type_state(txn.account_id, IDENTITY_TYPE).high > 0:
        return None
    owner_id = txn.account_owner(txn.account_id)
    owner = None if owner_id is None else txn.user_by_id(owner_id)
    if owner is None:
        return None
    identity_id = txn.new_id()
    txn.create_record(
        IDENTITY_TYPE,
        identity_id,
        {
            "name": owner.username,
            "email": primary_address(settings, owner.username),
            "replyTo": None,
            "bcc": None,
            "textSignature": "",
            "htmlSignature": "",
            "mayDelete": False,
        },
    )
    return identity_id


def ensure_vacation_response(txn: WriteTxn) -> bool:
    """Create the account's VacationResponse (disabled) unless it ever had one."""
    if txn.type_state(txn.account_id, VACATION_TYPE).high > 0:
        return False
    txn.create_record(
        VACATION_TYPE,
        VACATION_ID,
        {
            "isEnabled": False,
            "fromDate": None,
            "toDate": None,
            "subject": None,
            "textBody": None,
            "htmlBody": None,
        },
    )
    return True


async def provision_account(
    store: Store, account_id: str, settings: Settings | None = None
) -> list[str]:
    """Give an account its role mailboxes if it has none (for `satchel user add`), and its
    default Identity when `settings` are given."""
    created, _ = await store.write(account_id, lambda txn: ensure_mail_account(txn, settings))
    return created


_provisioned: weakref.WeakKeyDictionary[Store, set[str]] = weakref.WeakKeyDictionary()


async def provision_lazily(
    store: Store, account_id: str, settings: Settings | None = None
) -> CommitResult | None:
    """Provision an account on its first mail method call in this process; the commit, if the
    call created anything (for the push bus), else None."""
    seen = _provisioned.setdefault(store, set())
    if account_id in seen:
        return None

    def provisioned(txn: ReadTxn) -> bool:
        # A state above zero means the objects were created here before (provisioned).
        if txn.type_state(account_id, MAILBOX_TYPE).high == 0:
            return False
        return settings is None or (
            txn.type_state(account_id, IDENTITY_TYPE).high > 0
            and txn.type_state(account_id, VACATION_TYPE).high > 0
        )

    commit = None
    if not await store.read(provisioned):
        _, commit = await store.write(account_id, lambda txn: ensure_mail_account(txn, settings))
        if not commit.changed_types:
            commit = None
    seen.add(account_id)
    return commit
