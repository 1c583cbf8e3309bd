"""Mail-index benchmark: a synthetic account of N Emails (default 100,000) indexed straight into
a fresh SQLite store, then the hot store calls timed (median and p90 of repeated runs):

    .venv/bin/python bench/mail_index.py                 # 100k, the schema's tokenizer
    .venv/bin/python bench/mail_index.py --tokenizer trigram --emails 20000

Workloads: inMailbox sorted receivedAt desc limit 50 (with total, and as the full id list a
/query hook that windows in Python would fetch), the same collapsed by thread, a text search for a
rare and for a common word (limit 50 + total), a text search inside a mailbox, and the counts of
10 mailboxes. `--tokenizer trigram` rebuilds the FTS table with the trigram tokenizer first, to
compare (the index size printed is the whole database file). Never part of the test suite.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from satchel.store.base import ReadTxn, WriteTxn
from satchel.store.mail_base import EmailIndexEntry, EmailQuery
from satchel.store.sqlite import SqliteStore

MAILBOXES = [f"mbox{i}" for i in range(10)]
# The inbox holds about 40% of the mail, the archive 25%, the rest is spread over 8 folders.
MAILBOX_WEIGHTS = [40, 25, 5, 5, 5, 5, 5, 4, 3, 3]
RARE = "zanzibar"
COMMON = "invoice"


def vocabulary(rng: random.Random, size: int) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(letters) for _ in range(rng.randint(3, 10))))
    return sorted(words)


def make_entries(count: int, seed: int) -> list[EmailIndexEntry]:
    rng = random.Random(seed)
    words = vocabulary(rng, 20_000)
    weights = [1 / (rank + 1) for rank in range(len(words))]  # Zipf-like word frequencies
    people = [f"person{i}" for i in range(500)]
    entries: list[EmailIndexEntry] = []
    thread = 0
    thread_left = 0
    for n in range(count):
        if thread_left == 0:
            thread += 1
            thread_left = rng.choice([1, 1, 1, 2, 2, 3, 5, 8])
            subject = " ".join(rng.choices(words[:2000], k=4))
        thread_left -= 1
        body = rng.choices(words, weights, k=80)
        if rng.random() < 0.5:
            body.append(COMMON)
        if n % 20_000 == 7:
            body.append(RARE)
        keywords = []
        if rng.random() < 0.85:
            keywords.append("$seen")
        if rng.random() < 0.03:
            keywords.append("$flagged")
        boxes = {rng.choices(MAILBOXES, MAILBOX_WEIGHTS)[0]}
        if rng.random() < 0.05:
            boxes.add(rng.choice(MAILBOXES))
        sender, recipient = rng.choice(people), rng.choice(people)
        entries.append(
            EmailIndexEntry(
                email_id=f"M{n:07d}",
                thread_id=f"T{thread:07d}",
                mailbox_ids=tuple(sorted(boxes)),
                keywords=tuple(keywords),
                received_at=1_600_000_000 + n * 60 + rng.randint(0, 59),
                sent_at=1_600_000_000 + n * 60,
                size=rng.randint(1_000, 200_000),
                has_attachment=rng.random() < 0.1,
                from_sort=sender,
                to_sort=recipient,
                subject_sort=subject,
                message_ids=(f"{n}@bench.example",),
                from_text=f"{sender.title()} <{sender}@example.com>",
                to_text=f"{recipient.title()} <{recipient}@example.com>",
                cc_text="",
                bcc_text="",
                subject_text=subject,
                body_text=" ".join(body),
                attachment_names="",
                headers_text=f"From: {sender}@example.com\nTo: {recipient}@example.com\n"
                f"Subject: {subject}\nMessage-ID: <{n}@bench.example>\n",
            )
        )
    return entries


TOKENIZERS = {
    "trigram": "tokenize = 'trigram'",
    "noprefix": "tokenize = 'unicode61 remove_diacritics 2'",
}


def use_tokenizer(db_path: Path, name: str) -> None:
    conn = sqlite3.connect(db_path)
    conn.execute("DROP TABLE email_fts")
    conn.execute(
        "CREATE VIRTUAL TABLE email_fts USING fts5(f_from, f_to, f_cc, f_bcc, f_subject, f_body,"
        f" f_attachments, f_headers, {TOKENIZERS[name]})"
    )
    conn.commit()
    conn.close()


def timed(label: str, fn: Callable[[], Any], repeat: int) -> Any:
    times = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    p90 = times[min(len(times) - 1, int(len(times) * 0.9))]
    print(f"| {label} | {statistics.median(times):.2f} | {p90:.2f} |")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--emails", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=8621)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--tokenizer", choices=["schema", *TOKENIZERS], default="schema")
    parser.add_argument("--data", type=Path, help="keep the data here (built once, then reused)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="satchel-mail-bench-") as tmp:
        data = args.data or Path(tmp)
        reuse = (data / "satchel.db").exists()
        store = SqliteStore.open(data)
        if reuse:
            user = store.read_sync(lambda txn: txn.user_by_name("bench"))
            assert user is not None, f"{data} was not made by this benchmark"
            account = store.read_sync(lambda txn: txn.accounts_for_user(user.id))[0].id
            print(f"reusing {data}")
            run_workloads(store, account, args)
            store.close_sync()
            return
        if args.tokenizer != "schema":  # a fresh database: swap the FTS table before filling it
            store.close_sync()
            use_tokenizer(data / "satchel.db", args.tokenizer)
            store = SqliteStore.open(data)

        def create(txn: WriteTxn) -> str:
            user = txn.create_user("bench", "x", None)
            return txn.accounts_for_user(user.id)[0].id

        account, _ = store.write_sync("", create)
        store.write_sync(
            account,
            lambda txn: [
                txn.create_record("Mailbox", m, {"name": m, "role": None}) for m in MAILBOXES
            ],
        )
        entries = make_entries(args.emails, args.seed)
        start = time.perf_counter()
        for i in range(0, len(entries), 5_000):
            batch = entries[i : i + 5_000]

            def put(txn: WriteTxn, batch: list[EmailIndexEntry] = batch) -> None:
                for item in batch:
                    txn.put_email_index(item)

            store.write_sync(account, put)
        elapsed = time.perf_counter() - start
        size_mb = (data / "satchel.db").stat().st_size / 1e6
        wal = data / "satchel.db-wal"
        size_mb += wal.stat().st_size / 1e6 if wal.exists() else 0
        print(
            f"{args.emails} emails indexed in {elapsed:.1f} s"
            f" ({args.emails / elapsed:.0f}/s), database {size_mb:.0f} MB,"
            f" tokenizer {args.tokenizer}"
        )
        run_workloads(store, account, args)
        store.close_sync()


def run_workloads(store: SqliteStore, account: str, args: argparse.Namespace) -> None:
    print()
    print("| workload | median ms | p90 ms |")
    print("|---|---|---|")

    def query(
        filter: Any, limit: int | None = 50, collapse: bool = False, total: bool = True
    ) -> Callable[[], Any]:
        q = EmailQuery(filter, (("receivedAt", False, None),), collapse)

        def run() -> Any:
            return store.read_sync(
                lambda txn: txn.query_emails(account, q, 0, limit, None, 0, total)
            )

        return run

    inbox = {"inMailbox": "mbox0"}
    result = timed("inMailbox, receivedAt desc, limit 50 + total", query(inbox), args.repeat)
    print(f"|   (inbox total {result.total}) | | |")
    timed("inMailbox, limit 50, no total", query(inbox, total=False), args.repeat)
    timed("inMailbox, collapseThreads, limit 50 + total", query(inbox, collapse=True), args.repeat)
    timed(
        "inMailbox, full id list (no limit)",
        query(inbox, limit=None, total=False),
        max(3, args.repeat // 4),
    )
    result = timed(f"text '{RARE}' (rare), limit 50 + total", query({"text": RARE}), args.repeat)
    print(f"|   ({result.total} matches) | | |")
    result = timed(
        f"text '{COMMON}' (common), limit 50 + total",
        query({"text": COMMON}),
        max(3, args.repeat // 4),
    )
    print(f"|   ({result.total} matches) | | |")
    timed(
        f"inMailbox + text '{COMMON}', limit 50 + total",
        query({"inMailbox": "mbox0", "text": COMMON}),
        max(3, args.repeat // 4),
    )
    timed("hasKeyword $flagged, limit 50 + total", query({"hasKeyword": "$flagged"}), args.repeat)

    def counts(txn: ReadTxn) -> Any:
        return txn.mailbox_counts(account, MAILBOXES)

    timed("counts of 10 mailboxes", lambda: store.read_sync(counts), args.repeat)
    snippet_ids = store.read_sync(
        lambda txn: txn.query_emails(
            account, EmailQuery({"text": COMMON}, (), False), 0, 50, None, 0, False
        )
    ).ids
    timed(
        "SearchSnippets for 50 emails",
        lambda: store.read_sync(
            lambda txn: txn.search_snippets(account, snippet_ids, {"text": COMMON})
        ),
        args.repeat,
    )


if __name__ == "__main__":
    main()
