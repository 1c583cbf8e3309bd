"""One send per response: what the protocol writes in one turn of the event loop reaches the
socket as one write, in order, and nothing held is lost when the connection closes. (Every HTTP,
EventSource and WebSocket test also runs through this transport: `live_server` serves with it.)"""

from __future__ import annotations

import asyncio
import socket
import threading
from typing import Any

from live_server import serve_in_thread

from satchel.http.one_send import HOLD_LIMIT, OneSendTransport


class Recording(asyncio.Transport):
    """The socket's side: records each write the way a send(2) would see it."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: Any) -> None:
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def abort(self) -> None:
        self.closed = True


async def test_headers_and_body_of_one_turn_are_one_write() -> None:
    inner = Recording()
    transport = OneSendTransport(inner, asyncio.get_running_loop())
    transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
    transport.write(b"{}")
    assert inner.writes == []  # held until the turn ends
    await asyncio.sleep(0)
    assert inner.writes == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"]
    transport.write(b"data: next event\n\n")  # a later turn: its own write
    await asyncio.sleep(0)
    assert inner.writes[1:] == [b"data: next event\n\n"]


async def test_held_bytes_go_out_before_close_and_a_large_write_at_once() -> None:
    inner = Recording()
    transport = OneSendTransport(inner, asyncio.get_running_loop())
    big = b"x" * HOLD_LIMIT
    transport.write(b"head")
    transport.write(big)
    assert inner.writes == [b"head" + big]  # not held past the limit
    transport.write(b"last words")
    transport.close()
    assert inner.writes[1:] == [b"last words"] and inner.closed
    await asyncio.sleep(0)
    assert len(inner.writes) == 2  # the end of the turn finds nothing left


async def test_abort_drops_what_is_held() -> None:
    inner = Recording()
    transport = OneSendTransport(inner, asyncio.get_running_loop())
    transport.write(b"never sent")
    transport.abort()
    await asyncio.sleep(0)
    assert inner.writes == [] and inner.closed


def test_a_complete_response_goes_out_before_the_loop_runs_anything_else() -> None:
    """Work the loop does after a response is complete (a commit's push listeners, say) must
    not hold the finished answer back: here that work waits for the client to have read it."""
    client_has_read = threading.Event()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]}
        )
        await send({"type": "http.response.body", "body": b"ok"})
        # Still in the same turn of the loop: block it until the client has the answer.
        client_has_read.wait(timeout=5)

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server, thread = serve_in_thread(app, sock)
    try:
        port = sock.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
            conn.sendall(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
            conn.settimeout(2)
            answer = b""
            while not answer.endswith(b"ok"):
                answer += conn.recv(4096)  # times out if the answer is held back
            client_has_read.set()
        assert answer.startswith(b"HTTP/1.1 200 OK")
    finally:
        client_has_read.set()
        server.should_exit = True
        thread.join(timeout=10)
