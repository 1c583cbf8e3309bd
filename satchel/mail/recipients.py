"""Who a mail address delivers to: the rule shared by LMTP RCPT, `satchel deliver` and local
EmailSubmission.

A user's own address is `NAME@domain` (Settings.domain); users may have aliases (the store's
`addresses` table). An address is local when its domain is `domain` or one of `local_domains`
(domains are case-insensitive, RFC 5321 section 2.4); every user has its name at every local
domain. Local parts are compared case-insensitively too. Plus-addressing (`user+folder@domain`,
RFC 5233 "subaddress") delivers to the mailbox `folder` when the account has one, else the inbox:
resolution here only carries the detail as `mailbox_hint`, because whether the mailbox exists is
asked at delivery time (`satchel.mail.ingest.mailbox_id_by_role_or_name`).
"""

from __future__ import annotations

from dataclasses import dataclass

from satchel.config import Settings
from satchel.store.base import ReadTxn

SUBADDRESS_SEPARATOR = "+"


@dataclass(frozen=True, slots=True)
class Recipient:
    """A local recipient: the account to deliver to and the plus-address detail, if any."""

    account_id: str
    mailbox_hint: str | None = None


def split_address(address: str) -> tuple[str, str] | None:
    """`local@domain` -> (local, domain lowercased); None when it is not one. The last `@`
    splits, so a quoted local part containing `@` keeps it."""
    local, at, domain = address.strip().rpartition("@")
    domain = domain.lower().rstrip(".")
    if not at or not local or not domain:
        return None
    return local, domain


def local_domains(settings: Settings) -> set[str]:
    return {settings.domain.lower(), *(d.lower().rstrip(".") for d in settings.local_domains)}


def is_local(settings: Settings, address: str) -> bool:
    """Whether the address's domain is one this server delivers for."""
    parts = split_address(address)
    return parts is not None and parts[1] in local_domains(settings)


def primary_address(settings: Settings, username: str) -> str:
    """A user's own address."""
    return f"{username}@{settings.domain.lower()}"


def resolve(txn: ReadTxn, settings: Settings, address: str) -> Recipient | None:
    """The local recipient `address` names, or None (not local, or no such user or alias).

    Order: the whole address as an alias, then (for `base+detail@`) the base as an alias, then
    the base's local part as a user name."""
    parts = split_address(address)
    if parts is None or parts[1] not in local_domains(settings):
        return None
    local, domain = parts[0].lower(), parts[1]
    user_id = txn.user_id_for_alias(f"{local}@{domain}")
    if user_id is not None:
        return _personal(txn, user_id, None)
    base, _, detail = local.partition(SUBADDRESS_SEPARATOR)
    hint = detail or None
    if not base:
        return None
    if hint is not None:
        user_id = txn.user_id_for_alias(f"{base}@{domain}")
        if user_id is not None:
            return _personal(txn, user_id, hint)
    user = txn.user_by_name(base)
    if user is None:
        return None
    return _personal(txn, user.id, hint)


def _personal(txn: ReadTxn, user_id: str, hint: str | None) -> Recipient | None:
    for account in txn.accounts_for_user(user_id):
        if account.is_personal:
            return Recipient(account.id, hint)
    return None
