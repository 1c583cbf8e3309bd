"""CONTRACT STUB (owned by the mail-objects engineer; replace the bodies, keep the signatures).

The one path by which a message enters a mailbox: LMTP delivery, `satchel deliver`,
`satchel import` and Email/import all come here. Parse, store the blob, thread, index, count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from satchel.store.base import CommitResult, Store


@dataclass(frozen=True, slots=True)
class Incoming:
    raw: bytes
    mailbox_ids: Sequence[str] | None = None  # None: the account's inbox
    keywords: Sequence[str] = field(default_factory=tuple)
    received_at: float | None = None  # unix time; None: now


async def ingest(store: Store, account_id: str, message: Incoming) -> tuple[str, CommitResult]:
    """Store one message durably (blob fsynced, rows committed) and return its Email id."""
    raise NotImplementedError


async def ingest_batch(
    store: Store, account_id: str, messages: Sequence[Incoming]
) -> tuple[list[str], CommitResult]:
    """Store many messages in one write transaction (for `satchel import`): all or nothing."""
    raise NotImplementedError


async def mailbox_id_by_role_or_name(store: Store, account_id: str, name: str) -> str | None:
    """The mailbox a plus-address `user+NAME@` names: a top-level mailbox whose name matches
    case-insensitively, or whose role does; None when there is none."""
    raise NotImplementedError
