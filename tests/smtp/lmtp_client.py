"""A bare LMTP client over asyncio streams, so tests control every byte (pipelining, a dropped
connection mid-DATA) and see every reply line."""

from __future__ import annotations

import asyncio
import contextlib

from satchel.smtp.lmtp_server import LmtpAddress, TcpAddress


class Client:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def connect(cls, address: LmtpAddress) -> Client:
        if isinstance(address, TcpAddress):
            reader, writer = await asyncio.open_connection(address.host, address.port)
        else:
            reader, writer = await asyncio.open_unix_connection(address.path)
        client = cls(reader, writer)
        greeting = await client.reply()
        assert greeting[0].startswith("220 "), greeting
        return client

    async def reply(self) -> list[str]:
        """One reply: its lines, continuation lines ("250-") included."""
        lines = []
        while True:
            raw = await asyncio.wait_for(self.reader.readline(), 10)
            assert raw, f"connection closed after {lines}"
            line = raw.decode().rstrip("\r\n")
            lines.append(line)
            if line[3:4] != "-":
                return lines

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def command(self, line: str) -> str:
        await self.send(line.encode() + b"\r\n")
        return (await self.reply())[-1]

    async def lhlo(self) -> list[str]:
        await self.send(b"LHLO client.example\r\n")
        return await self.reply()

    async def data(self, message: bytes) -> None:
        """Send DATA's content, dot-stuffed and terminated (after the 354)."""
        lines = message.split(b"\r\n")
        if lines and lines[-1] == b"":
            lines.pop()
        stuffed = b"".join((b"." + ln if ln.startswith(b".") else ln) + b"\r\n" for ln in lines)
        await self.send(stuffed + b".\r\n")

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self.writer.wait_closed()
