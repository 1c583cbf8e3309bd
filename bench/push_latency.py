"""Push benchmark: commit -> StateChange latency at many EventSource and WebSocket clients, and
the server memory of idle EventSource connections.

    .venv/bin/python bench/push_latency.py                      # 100 + 100 clients, 10,000 idle
    .venv/bin/python bench/push_latency.py --workers 2 --idle 0

Steps: a temporary data directory with alice; `satchel serve --lmtp off` on a free port; open
`--eventsource` EventSource streams (types=Mailbox) and `--websocket` WebSockets (subprotocol
jmap, WebSocketPushEnable for Mailbox); then `--commits` Mailbox/set creates over HTTP, one at a
time. For each commit the clock starts when the POST is sent (so the figure includes the
request's own work up to its commit) and stops when a client has read the StateChange carrying
the new Mailbox state; p50/p99/max are over every (commit, client) pair. Then, with only one
worker, the server's RSS before and after opening `--idle` idle EventSource connections gives
the memory per connection.

The clients share this process (uvloop, raw protocols for EventSource): on 2 CPUs shared with the
server their own reading is part of the latency measured. Never part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, cast

import httpx
import orjson
import uvloop
from websockets.asyncio.client import connect as ws_connect

PASSWORD = "alicepass"
CORE = "urn:ietf:params:jmap:core"
MAIL = "urn:ietf:params:jmap:mail"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its worker processes (`--workers N`)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    ticks = 0
    for one in [pid, *map(int, children)]:
        fields = Path(f"/proc/{one}/stat").read_text().rpartition(")")[2].split()
        ticks += sum(int(f) for f in fields[11:13])
    return ticks / os.sysconf("SC_CLK_TCK")


def raise_fd_limit(wanted: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = min(hard, max(soft, wanted))
    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return target


class Arrivals:
    """When each client first saw each Mailbox state."""

    def __init__(self) -> None:
        self.seen: dict[str, dict[int, float]] = {}
        self.waiters: dict[str, tuple[int, asyncio.Future[None]]] = {}

    def note(self, client: int, state: str, at: float) -> None:
        per_state = self.seen.setdefault(state, {})
        if client in per_state:
            return
        per_state[client] = at
        waiter = self.waiters.get(state)
        if waiter is not None and len(per_state) >= waiter[0] and not waiter[1].done():
            waiter[1].set_result(None)

    async def wait_for(self, state: str, clients: int, timeout: float) -> None:
        if len(self.seen.get(state, {})) >= clients:
            return
        future = asyncio.get_running_loop().create_future()
        self.waiters[state] = (clients, future)
        try:
            await asyncio.wait_for(future, timeout)
        except TimeoutError:
            pass
        finally:
            del self.waiters[state]


class EventSourceProtocol(asyncio.Protocol):
    """A bare EventSource client: request, then note each state event's arrival time."""

    def __init__(self, client: int, request: bytes, arrivals: Arrivals | None) -> None:
        self.client = client
        self.request = request
        self.arrivals = arrivals
        self.buffer = b""
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass
        self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        at = time.perf_counter()
        if not self.opened.done():
            if b" 200 " not in data.split(b"\r\n", 1)[0]:
                self.opened.set_exception(RuntimeError(data[:200].decode(errors="replace")))
                return
            self.opened.set_result(None)
        if self.arrivals is None:
            return  # idle: read and drop
        self.buffer += data
        while b"\n\n" in self.buffer:
            event, self.buffer = self.buffer.split(b"\n\n", 1)
            for line in event.split(b"\n"):
                if line.startswith(b"data: ") and b"StateChange" in line:
                    changed = orjson.loads(line[6:])["changed"]
                    for states in changed.values():
                        if "Mailbox" in states:
                            self.arrivals.note(self.client, states["Mailbox"], at)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(exc or RuntimeError("closed"))


def es_request(port: int, auth: str) -> bytes:
    return (
        f"GET /jmap/eventsource/?types=Mailbox&closeafter=no&ping=0 HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\nAuthorization: {auth}\r\nAccept: text/event-stream\r\n\r\n"
    ).encode()


async def open_eventsource(
    port: int, auth: str, client: int, arrivals: Arrivals | None
) -> EventSourceProtocol:
    loop = asyncio.get_running_loop()
    protocol = EventSourceProtocol(client, es_request(port, auth), arrivals)
    await loop.create_connection(lambda: protocol, "127.0.0.1", port)
    await asyncio.wait_for(protocol.opened, 60)
    return protocol


async def websocket_client(
    port: int, auth: str, client: int, arrivals: Arrivals, ready: asyncio.Event, stop: asyncio.Event
) -> None:
    async with ws_connect(
        f"ws://127.0.0.1:{port}/jmap/ws/",
        subprotocols=["jmap"],  # type: ignore[list-item]
        additional_headers={"Authorization": auth},
        compression=None,
    ) as ws:
        await ws.send('{"@type":"WebSocketPushEnable","dataTypes":["Mailbox"]}')
        await ws.send(
            orjson.dumps({"@type": "Request", "id": "s", "using": [CORE], "methodCalls": []})
        )
        while True:
            message = orjson.loads(await ws.recv())
            # Its answer (or a RequestError when maxConcurrentRequests is reached) comes after
            # the push enable was handled: push is on.
            if message.get("@type") in ("Response", "RequestError"):
                break
        ready.set()
        while not stop.is_set():
            try:
                frame = await asyncio.wait_for(ws.recv(), 0.5)
            except TimeoutError:
                continue
            at = time.perf_counter()
            message = orjson.loads(frame)
            for states in message.get("changed", {}).values():
                if "Mailbox" in states:
                    arrivals.note(client, states["Mailbox"], at)


Commit = Callable[[int], Awaitable[tuple[str, float]]]


async def committer(args: argparse.Namespace, port: int, auth: str, account: str) -> Commit:
    """Makes commit `n`: returns the new Mailbox state and when the clock starts for it."""
    body = {"using": [CORE, MAIL], "methodCalls": [["Mailbox/set", {}, "c"]]}

    def mailbox_set(n: int) -> dict[str, Any]:
        arguments = {"accountId": account, "create": {"m": {"name": f"box {n}"}}}
        return {**body, "methodCalls": [["Mailbox/set", arguments, "c"]]}

    if args.via == "http":
        http = httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", headers={"Authorization": auth}
        )

        async def over_http(n: int) -> tuple[str, float]:
            sent = time.perf_counter()  # includes the request's own work and its fsync
            response = await http.post("/jmap/api/", json=mailbox_set(n))
            return str(response.json()["methodResponses"][0][1]["newState"]), sent

        return over_http

    # In this process, as `satchel deliver` would: the clock starts when the commit is done
    # and the store wrapper publishes it to the server's socket.
    from satchel.config import load_settings
    from satchel.core import engine
    from satchel.core.context import RequestContext
    from satchel.core.request import request_from_object
    from satchel.services import open_services

    services = open_services(load_settings(args.data, environ={}))
    published: dict[int, float] = {}
    publish = services.bus.publish

    def timed_publish(commit: Any) -> None:
        published[commit.modseq] = time.perf_counter()
        publish(commit)

    services.bus.publish = timed_publish  # type: ignore[method-assign]
    user = services.store.read_sync(lambda txn: txn.user_by_name("alice"))
    assert user is not None
    accounts = services.store.read_sync(lambda txn: txn.accounts_for_user(user.id))

    async def in_process(n: int) -> tuple[str, float]:
        ctx = RequestContext(
            user=user,
            accounts={a.id: a for a in accounts},
            store=services.store,
            registry=services.registry,
            limits=services.limits,
        )
        response = await engine.process(ctx, request_from_object(mailbox_set(n), services.limits))
        state = response["methodResponses"][0][1]["newState"]
        from satchel.core.state import decode_state

        modseq = decode_state(state, "Mailbox")
        assert modseq is not None
        return state, published[modseq]

    return in_process


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def latency(args: argparse.Namespace, port: int, auth: str, account: str, pid: int) -> None:
    arrivals = Arrivals()
    streams = [await open_eventsource(port, auth, n, arrivals) for n in range(args.eventsource)]
    stop = asyncio.Event()
    readies = [asyncio.Event() for _ in range(args.websocket)]
    ws_tasks = [
        asyncio.create_task(
            websocket_client(port, auth, args.eventsource + n, arrivals, readies[n], stop)
        )
        for n in range(args.websocket)
    ]
    waiting = [asyncio.create_task(r.wait()) for r in readies]
    if waiting:
        await asyncio.wait([*waiting, *ws_tasks], timeout=60, return_when=asyncio.FIRST_EXCEPTION)
    for task in ws_tasks:
        if task.done():
            task.result()  # a client that failed to open: its error
    if not all(r.is_set() for r in readies):
        raise SystemExit("WebSocket clients did not get ready")
    clients = args.eventsource + args.websocket
    es_ids = set(range(args.eventsource))
    samples_es: list[float] = []
    samples_ws: list[float] = []
    missing = 0
    cpu_before = cpu_seconds(pid)
    commit = await committer(args, port, auth, account)
    for n in range(args.commits):
        state, committed = await commit(n)
        await arrivals.wait_for(state, clients, 10)
        seen = arrivals.seen.get(state, {})
        missing += clients - len(seen)
        for client, at in seen.items():
            (samples_es if client in es_ids else samples_ws).append((at - committed) * 1000)
        await asyncio.sleep(args.gap)
    cpu_used = cpu_seconds(pid) - cpu_before
    stop.set()
    await asyncio.gather(*ws_tasks)
    for stream in streams:
        assert stream.transport is not None
        stream.transport.close()
    print(
        f"commit -> StateChange, {args.commits} Mailbox/set commits via {args.via},"
        f" workers={args.workers}"
    )
    for name, samples in (
        ("EventSource", samples_es),
        ("WebSocket", samples_ws),
        ("all", samples_es + samples_ws),
    ):
        if samples:
            print(
                f"  {name:<12} n={len(samples):>6}  p50 {statistics.median(samples):6.2f} ms"
                f"  p99 {percentile(samples, 0.99):6.2f} ms  max {max(samples):6.2f} ms"
            )
    print(f"  events missing after 10 s: {missing}")
    print(
        f"  server CPU per commit: {cpu_used / args.commits * 1000:.1f} ms"
        " (the fan-out; with --via http the request and its commit too)"
    )


async def idle_memory(args: argparse.Namespace, port: int, auth: str, pid: int) -> None:
    # Warm up: code paths, caches and allocator arenas a first connection touches.
    warm = [await open_eventsource(port, auth, n, None) for n in range(50)]
    for stream in warm:
        assert stream.transport is not None
        stream.transport.close()
    await asyncio.sleep(1)
    before = rss_kib(pid)
    streams: list[EventSourceProtocol] = []
    started = time.perf_counter()
    batch = 500
    for start in range(0, args.idle, batch):
        opened = await asyncio.gather(
            *(
                open_eventsource(port, auth, n, None)
                for n in range(start, min(args.idle, start + batch))
            )
        )
        streams.extend(opened)
    took = time.perf_counter() - started
    await asyncio.sleep(2)
    after = rss_kib(pid)
    per = (after - before) * 1024 / len(streams)
    print(
        f"idle EventSource connections: {len(streams)} opened in {took:.1f} s; server RSS"
        f" {before / 1024:.1f} MiB -> {after / 1024:.1f} MiB: {per / 1024:.1f} KiB per connection"
    )
    for stream in streams:
        assert stream.transport is not None
        stream.transport.close()
    await asyncio.sleep(1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--eventsource", type=int, default=100)
    ap.add_argument("--websocket", type=int, default=100)
    ap.add_argument("--commits", type=int, default=100)
    ap.add_argument("--gap", type=float, default=0.02, help="seconds between commits")
    ap.add_argument("--idle", type=int, default=10_000, help="idle EventSource connections")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument(
        "--via",
        choices=("store", "http"),
        default="store",
        help="commit in this process through the store (clock from the commit) or POST to the"
        " server (clock from sending the request)",
    )
    args = ap.parse_args()

    limit = raise_fd_limit(args.idle + 2_000)  # the server inherits it
    if limit < args.idle + 200:
        raise SystemExit(f"only {limit} file descriptors: lower --idle")
    data = Path(tempfile.mkdtemp(prefix="satchel-push-bench-"))
    args.data = str(data)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SATCHEL_")}
    env["SATCHEL_PUSH_MAX_CONNECTIONS_PER_USER"] = str(args.idle + 1_000)
    env["SATCHEL_LOG_LEVEL"] = "warning"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "satchel",
            "user",
            "add",
            "alice",
            "--password-stdin",
            "--data",
            str(data),
        ],
        input=PASSWORD + "\n",
        text=True,
        check=True,
        capture_output=True,
        env=env,
    )
    port = free_port()
    serve = [
        sys.executable,
        "-m",
        "satchel",
        "serve",
        "--data",
        str(data),
        "--lmtp",
        "off",
        "--listen",
        f"127.0.0.1:{port}",
        "--workers",
        str(args.workers),
    ]
    server = subprocess.Popen(serve, env=env, stdout=subprocess.DEVNULL)
    auth = "Basic " + base64.b64encode(f"alice:{PASSWORD}".encode()).decode()
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                session = httpx.get(
                    f"http://127.0.0.1:{port}/.well-known/jmap", headers={"Authorization": auth}
                )
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("satchel serve did not start") from None
                time.sleep(0.1)
        account: str = session.json()["primaryAccounts"][MAIL]
        # Provision the mailboxes first: that commit is not one of the measured ones.
        httpx.post(
            f"http://127.0.0.1:{port}/jmap/api/",
            headers={"Authorization": auth},
            json={
                "using": [CORE, MAIL],
                "methodCalls": [["Mailbox/get", {"accountId": account}, "c"]],
            },
        )
        print(f"satchel pid {server.pid}, data {data}, fd limit {limit}")
        uvloop.run(latency(args, port, auth, account, server.pid))
        if args.idle and args.workers == 1:
            uvloop.run(idle_memory(args, port, auth, server.pid))
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
