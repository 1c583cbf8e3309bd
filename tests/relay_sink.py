"""A real SMTP server (aiosmtpd) on a free local port playing the relay: it records every
transaction, and can refuse recipients or stall before answering DATA."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes


@dataclass
class SinkHandler:
    refuse: set[str] = field(default_factory=set)  # RCPT addresses answered 550
    stall: set[str] = field(default_factory=set)  # DATA for these waits for `release`
    release: asyncio.Event = field(default_factory=asyncio.Event)
    received: list[Received] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    data_started: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle_RCPT(
        self, server: Any, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: Recipient address rejected"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        self.data_started.set()
        if self.stall & set(envelope.rcpt_tos):
            await self.release.wait()
        content = envelope.original_content or b""
        self.received.append(Received(str(envelope.mail_from), list(envelope.rcpt_tos), content))
        self.arrived.set()
        return "250 2.0.0 Ok: queued as 42"


@asynccontextmanager
async def sink(handler: SinkHandler, port: int = 0, **smtp: Any) -> AsyncIterator[int]:
    """Serve `handler` on 127.0.0.1 (`port`, or a free one); yields the port. `smtp` goes to
    aiosmtpd's SMTP (e.g. an authenticator)."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="relay.test", **smtp), "127.0.0.1", port
    )
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        handler.release.set()
        server.close()
        await server.wait_closed()
