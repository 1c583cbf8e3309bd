"""In-process cost of one request: the real application, driven through ASGI with no sockets.

    .venv/bin/python bench/inprocess.py DATA_DIR                    # every workload, µs/request
    .venv/bin/python bench/inprocess.py DATA_DIR -w set_seen --profile 30

DATA_DIR is a Satchel data directory holding user alice/alicepass with mail in her Inbox (the
one `bench/run.py --load-only --keep` leaves). Stop any server on it first only if you want
quiet figures; SQLite lets both run.

The workloads mirror `../shared/bench/jmapbench.py`'s, so a figure here is the Satchel share of
that benchmark's request with uvicorn, the socket and the client taken away. It is the tool for
A/B runs of a hot-path change (run it on both commits, alternating, best of several), and with
`--profile N` prints cProfile's top N functions by own time. Never part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import cProfile
import pstats
import time
from collections.abc import Callable
from typing import Any

import orjson
import uvloop
from starlette.types import ASGIApp, Message

from satchel.config import Settings
from satchel.http.app import create_app
from satchel.services import open_services

CORE = "urn:ietf:params:jmap:core"
MAIL = "urn:ietf:params:jmap:mail"
AUTH = b"Basic " + base64.b64encode(b"alice:alicepass")


class Driver:
    """Sends one HTTP request at a time through the ASGI application and returns its body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [
                (b"host", b"127.0.0.1:8080"),
                (b"authorization", AUTH),
                (b"accept", b"application/json"),
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8080),
        }
        sent = False
        status = 0
        chunks: list[bytes] = []

        async def receive() -> Message:
            nonlocal sent
            if sent:
                await asyncio.Event().wait()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return status, b"".join(chunks)

    async def api(self, calls: list[Any]) -> list[Any]:
        body = orjson.dumps({"using": [CORE, MAIL], "methodCalls": calls})
        status, data = await self.request("POST", "/jmap/api/", body)
        if status != 200:
            raise RuntimeError(f"HTTP {status}: {data[:300]!r}")
        responses: list[Any] = orjson.loads(data)["methodResponses"]
        for name, args, _ in responses:
            if name == "error":
                raise RuntimeError(f"JMAP error: {args}")
        return responses


Workload = Callable[[int], Any]


async def workloads(driver: Driver, text: str) -> dict[str, Workload]:
    """The benchmark's workloads, discovered the way jmapbench discovers its ids."""
    _, raw = await driver.request("GET", "/.well-known/jmap")
    session = orjson.loads(raw)
    acct = session["primaryAccounts"][MAIL]
    boxes = (await driver.api([["Mailbox/get", {"accountId": acct, "ids": None}, "0"]]))[0][1]
    inbox = next(m["id"] for m in boxes["list"] if m["role"] == "inbox")
    by_date = [{"property": "receivedAt", "isAscending": False}]
    page = await driver.api(
        [["Email/query", {"accountId": acct, "filter": {"inMailbox": inbox}, "limit": 20}, "0"]]
    )
    pool = page[0][1]["ids"]
    state = (await driver.api([["Email/get", {"accountId": acct, "ids": []}, "0"]]))[0][1]["state"]
    # Ten keyword flips since `state`, so that Email/changes has something to report.
    get_keywords = {"accountId": acct, "ids": pool[:10], "properties": ["keywords"]}
    emails = (await driver.api([["Email/get", get_keywords, "0"]]))[0][1]["list"]
    flips = {
        e["id"]: {"keywords/$inprocess": None if e["keywords"].get("$inprocess") else True}
        for e in emails
    }
    await driver.api([["Email/set", {"accountId": acct, "update": flips}, "0"]])

    def api(calls: list[Any]) -> Workload:
        return lambda i: driver.api(calls)

    def set_seen(i: int) -> Any:
        val = True if (i // len(pool)) % 2 == 0 else None
        update = {pool[i % len(pool)]: {"keywords/$seen": val}}
        return driver.api([["Email/set", {"accountId": acct, "update": update}, "0"]])

    return {
        "session": lambda i: driver.request("GET", "/.well-known/jmap"),
        "mailbox_get": api([["Mailbox/get", {"accountId": acct, "ids": None}, "0"]]),
        "query_get": api(
            [
                [
                    "Email/query",
                    {
                        "accountId": acct,
                        "filter": {"inMailbox": inbox},
                        "limit": 50,
                        "sort": by_date,
                    },
                    "q",
                ],
                [
                    "Email/get",
                    {
                        "accountId": acct,
                        "#ids": {"resultOf": "q", "name": "Email/query", "path": "/ids"},
                        "properties": ["subject", "from", "receivedAt", "preview", "keywords"],
                    },
                    "g",
                ],
            ]
        ),
        "query_text": api(
            [
                [
                    "Email/query",
                    {"accountId": acct, "filter": {"text": text}, "limit": 50, "sort": by_date},
                    "q",
                ]
            ]
        ),
        "set_seen": set_seen,
        "changes": api([["Email/changes", {"accountId": acct, "sinceState": state}, "0"]]),
    }


async def measure(args: argparse.Namespace) -> None:
    settings = Settings(data_dir=args.data_dir, lmtp_listen="", log_level="warning")
    app = create_app(open_services(settings))
    lifespan_in: asyncio.Queue[Message] = asyncio.Queue()
    lifespan_out: asyncio.Queue[Message] = asyncio.Queue()

    async def run_lifespan() -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0"}}
        await app(scope, lifespan_in.get, lifespan_out.put)

    lifespan = asyncio.create_task(run_lifespan())
    await lifespan_in.put({"type": "lifespan.startup"})
    await lifespan_out.get()
    driver = Driver(app)
    try:
        chosen = await workloads(driver, args.text)
        names = args.workloads.split(",") if args.workloads else list(chosen)
        for name in names:
            run = chosen[name]
            for i in range(args.warmup):
                await run(i)
            best = float("inf")
            profiler = cProfile.Profile() if args.profile else None
            for _ in range(args.repeat):
                if profiler:
                    profiler.enable()
                start = time.perf_counter()
                for i in range(args.requests):
                    await run(i)
                best = min(best, (time.perf_counter() - start) / args.requests)
                if profiler:
                    profiler.disable()
            print(f"{name:12s} {best * 1e6:8.1f} µs/request (best of {args.repeat})", flush=True)
            if profiler:
                pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.profile)
    finally:
        await lifespan_in.put({"type": "lifespan.shutdown"})
        await lifespan_out.get()
        await lifespan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data_dir")
    parser.add_argument("-w", "--workloads", help="comma list (default: all)")
    parser.add_argument("-n", "--requests", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--text", default="zanzibar", help="the query_text word (jmapbench's default)"
    )
    parser.add_argument("--profile", type=int, metavar="N", default=0)
    parser.add_argument("--sort", default="tottime", help="cProfile order (e.g. cumulative)")
    uvloop.run(measure(parser.parse_args()))


if __name__ == "__main__":
    main()
