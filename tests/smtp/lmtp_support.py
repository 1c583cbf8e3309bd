"""Helpers for the LMTP tests (a module of its own: `from conftest import` is ambiguous when
several test directories each have a conftest.py)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from satchel.smtp.lmtp_server import LmtpListener
from satchel.store.base import Record, Store, WriteTxn

StartLmtp = Callable[..., Coroutine[Any, Any, LmtpListener]]


def add_user(store: Store, name: str) -> str:
    def create(txn: WriteTxn) -> str:
        user = txn.create_user(name, "hash", None)
        return txn.accounts_for_user(user.id)[0].id

    account_id, _ = store.write_sync("", create)
    return account_id


async def emails(store: Store, account_id: str) -> list[Record]:
    return await store.read(lambda txn: txn.get_records(account_id, "Email", None))


async def mailbox_ids_by_role(store: Store, account_id: str) -> dict[str, str]:
    records = await store.read(lambda txn: txn.get_records(account_id, "Mailbox", None))
    return {str(r.data["role"]): r.id for r in records if r.data.get("role")}
