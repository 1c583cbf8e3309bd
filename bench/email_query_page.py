"""Email/query page cost through the whole engine (`satchel.core.engine.process`): a synthetic
account of N Emails (default 20,000; built like `mail_index.py` builds its account, straight into
the mail index) and the pages a client asks for, timed (median and p90 of repeated runs):

    .venv/bin/python bench/email_query_page.py                    # 20k
    .venv/bin/python bench/email_query_page.py --emails 100000 --data /tmp/eq100k

Each workload runs twice in the same process: through Email's `query_window` hook (the page is
windowed in SQL) and through the full-list path the engine takes for a type without it (every
sorted id fetched, then windowed in Python), so the two figures share the machine's load.

Never part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from mail_index import MAILBOXES, make_entries, timed

from satchel.config import Settings
from satchel.core.context import RequestContext
from satchel.core.datatype import (
    Comparator,
    DataType,
    FilterNode,
    QueryPage,
    QueryScope,
    QueryWindow,
)
from satchel.core.engine import process
from satchel.core.limits import CoreLimits
from satchel.core.request import request_from_object
from satchel.core.standard import query as query_method
from satchel.core.standard.querying import run_query, run_query_window, window_of
from satchel.services import build_registry
from satchel.store.base import WriteTxn
from satchel.store.mail_base import EmailIndexEntry
from satchel.store.sqlite import SqliteStore

USING = ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"]


def build(store: SqliteStore, emails: int, seed: int) -> None:
    def create(txn: WriteTxn) -> str:
        user = txn.create_user("bench", "x", None)
        return txn.accounts_for_user(user.id)[0].id

    account, _ = store.write_sync("", create)
    store.write_sync(
        account,
        lambda txn: [txn.create_record("Mailbox", m, {"name": m, "role": None}) for m in MAILBOXES],
    )
    entries = make_entries(emails, seed)
    for i in range(0, len(entries), 5_000):
        batch = entries[i : i + 5_000]

        def put(txn: WriteTxn, batch: list[EmailIndexEntry] = batch) -> None:
            for item in batch:
                txn.put_email_index(item)

        store.write_sync(account, put)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--emails", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=8621)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--data", type=Path, help="keep the data here (built once, then reused)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="satchel-email-query-") as tmp:
        data = args.data or Path(tmp)
        reuse = (data / "satchel.db").exists()
        store = SqliteStore.open(data)
        if not reuse:
            start = time.perf_counter()
            build(store, args.emails, args.seed)
            print(f"{args.emails} emails indexed in {time.perf_counter() - start:.1f} s")
        run(store, args.repeat)
        store.close_sync()


def full_list_path(
    datatype: DataType,
    scope: QueryScope,
    node: FilterNode | None,
    sort: list[Comparator],
    window: QueryWindow,
) -> QueryPage:
    # What /query does for a type without `query_window` (and did for Email before it had one).
    return window_of(run_query(datatype, scope, node, sort), window)


def run(store: SqliteStore, repeat: int) -> None:
    user = store.read_sync(lambda txn: txn.user_by_name("bench"))
    assert user is not None
    accounts = store.read_sync(lambda txn: txn.accounts_for_user(user.id))
    limits = CoreLimits()
    registry = build_registry(Settings(), limits)
    loop = asyncio.new_event_loop()

    def call(**query: Any) -> Any:
        query["accountId"] = accounts[0].id
        body = {"using": USING, "methodCalls": [["Email/query", query, "q"]]}
        ctx = RequestContext(
            user=user,
            accounts={a.id: a for a in accounts},
            store=store,
            registry=registry,
            limits=limits,
        )
        response = loop.run_until_complete(process(ctx, request_from_object(body, limits)))
        name, result, _ = response["methodResponses"][0]
        assert name == "Email/query", result
        return result

    newest = [{"property": "receivedAt", "isAscending": False}]
    inbox = {"inMailbox": "mbox0"}
    print()
    print("| Email/query through process() | path | median ms | p90 ms |")
    print("|---|---|---|---|")
    first = call(sort=newest, filter=inbox, limit=50)["ids"]
    workloads: list[tuple[str, dict[str, Any]]] = [
        ("Inbox page 1 (limit 50) + total", {"filter": inbox, "limit": 50, "calculateTotal": True}),
        ("Inbox page 1 (limit 50), no total", {"filter": inbox, "limit": 50}),
        ("Inbox position 2000 limit 50", {"filter": inbox, "position": 2000, "limit": 50}),
        (
            "Inbox collapseThreads limit 50 + total",
            {"filter": inbox, "limit": 50, "calculateTotal": True, "collapseThreads": True},
        ),
        ("all mail limit 50 + total", {"limit": 50, "calculateTotal": True}),
        ("Inbox last page (position -50)", {"filter": inbox, "position": -50, "limit": 50}),
        ("Inbox anchor (page 1's 25th) limit 50", {"filter": inbox, "anchor": first[25]}),
    ]
    for label, query in workloads:
        query = {"sort": newest, "limit": 50, **query}
        windowed = timed(f"{label} | window", lambda query=query: call(**query), repeat)
        query_method.run_query_window = full_list_path  # type: ignore[assignment]
        try:
            full = timed(f"{label} | full list", lambda query=query: call(**query), repeat)
        finally:
            query_method.run_query_window = run_query_window
        assert windowed == full and len(windowed["ids"]) == 50, (windowed, full)
    loop.close()


if __name__ == "__main__":
    main()
