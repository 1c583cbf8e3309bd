"""One send per response: uvicorn's HTTP protocol writes a response's status line and headers,
then its body, as two writes, and uvloop sends each at once. That is two syscalls and two TCP
segments where one would do, and the client wakes twice to read one small JSON answer.

`OneSendHttpToolsProtocol` gives the protocol a transport that holds what is written during one
turn of the event loop and passes it on as one write at the end of that turn (or at once past
`HOLD_LIMIT` bytes, or before the connection closes). A response that is complete goes out at
once, ahead of whatever else the loop has queued. Streams lose nothing by it: an EventSource
event or a download chunk is held only until the writing coroutine yields, microseconds later.
"""

from __future__ import annotations

import asyncio
from typing import Any, Final

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

# Past this many held bytes the write goes out at once instead of at the end of the turn.
HOLD_LIMIT: Final = 256 * 1024


class OneSendTransport(asyncio.Transport):
    """A transport that coalesces the writes of one event-loop turn into one write to `inner`."""

    def __init__(self, inner: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._inner = inner
        self._loop = loop
        self._held: list[bytes] = []
        self._held_size = 0
        self._flush_scheduled = False

    # --- writing ----------------------------------------------------------------------------
    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        self._held.append(bytes(data))
        self._held_size += len(data)
        if self._held_size >= HOLD_LIMIT:
            self.flush()
        elif not self._flush_scheduled:
            self._flush_scheduled = True
            self._loop.call_soon(self._end_of_turn)

    def writelines(self, list_of_data: Any) -> None:
        for data in list_of_data:
            self.write(data)

    def _end_of_turn(self) -> None:
        self._flush_scheduled = False
        self.flush()

    def flush(self) -> None:
        """Hand what is held to the real transport now."""
        if not self._held:
            return
        held = self._held
        data = held[0] if len(held) == 1 else b"".join(held)
        self._held = []
        self._held_size = 0
        if not self._inner.is_closing():
            self._inner.write(data)

    def write_eof(self) -> None:
        self.flush()
        self._inner.write_eof()

    def can_write_eof(self) -> bool:
        return self._inner.can_write_eof()

    def get_write_buffer_size(self) -> int:
        return self._inner.get_write_buffer_size() + self._held_size

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return self._inner.get_write_buffer_limits()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._inner.set_write_buffer_limits(high, low)

    # --- closing ----------------------------------------------------------------------------
    def close(self) -> None:
        self.flush()  # a response written just before `Connection: close` still goes out
        self._inner.close()

    def abort(self) -> None:
        self._held = []
        self._held_size = 0
        self._inner.abort()

    def is_closing(self) -> bool:
        return self._inner.is_closing()

    # --- everything else is the real transport's --------------------------------------------
    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._inner.get_extra_info(name, default)

    def pause_reading(self) -> None:
        self._inner.pause_reading()

    def resume_reading(self) -> None:
        self._inner.resume_reading()

    def is_reading(self) -> bool:
        return self._inner.is_reading()

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._inner.set_protocol(protocol)

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._inner.get_protocol()


class OneSendHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol over a `OneSendTransport` (`uvicorn.run(http=...)`).

    A complete response goes out at once rather than at the end of the turn: whatever else
    the loop has queued by then (a commit's push listeners, another connection's request)
    would otherwise run while the finished answer waits."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self.one_send = OneSendTransport(transport, self.loop)
        super().connection_made(self.one_send)

    def on_response_complete(self) -> None:
        self.one_send.flush()
        super().on_response_complete()
