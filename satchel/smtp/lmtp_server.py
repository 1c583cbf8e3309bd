"""The LMTP listener (RFC 2033): aiosmtpd's protocol machinery, with DATA answered the LMTP way.

aiosmtpd's `LMTP` class sends a single reply after DATA; RFC 2033 section 4.2 wants one reply per
accepted recipient, in RCPT order, each sent only once that recipient's copy is durably stored
(`satchel.smtp.delivery` answers after the blob is fsynced and the rows committed). So
`SatchelLmtp` overrides DATA; everything else (command parsing, MAIL/RCPT syntax, RSET, NOOP,
QUIT, timeouts, PIPELINING by reading commands one at a time) is aiosmtpd's. The pure parts
(reading the dot-stuffed data, reply codes, trace headers) live in `satchel.smtp.lmtp`.

`lmtp_listening(store, settings)` is what `satchel serve` runs next to HTTP: on TCP every worker
process binds the port (with SO_REUSEPORT when there are several), so the kernel spreads
connections over them; a unix socket can have only one listener, so the worker holding an
exclusive lock on `PATH.lock` serves it.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import logging
import os
import re
import socket
import sqlite3
import stat
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import Envelope, Session, syntax

from satchel.config import Settings
from satchel.mail.ingest import Incoming, IngestError, mailbox_id_by_role_or_name
from satchel.mail.recipients import Recipient, is_local, resolve
from satchel.smtp import lmtp
from satchel.smtp.delivery import DeliveryQueue
from satchel.store.base import Store, StoreError

log = logging.getLogger("satchel.lmtp")

# Long lines and big messages are read in stretches of this size (StreamReader's limit).
READ_LIMIT = 256 * 1024

# `<dot-atom@domain>` and what follows (MAIL/RCPT parameters): the common case, no quoting.
_PLAIN_PATH = re.compile(r"\s*<([A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+)>(.*)", re.DOTALL)


@dataclass(frozen=True, slots=True)
class TcpAddress:
    host: str
    port: int


@dataclass(frozen=True, slots=True)
class UnixAddress:
    path: str


LmtpAddress = TcpAddress | UnixAddress


def parse_lmtp_listen(value: str) -> LmtpAddress | None:
    """`HOST:PORT`, `[IPv6]:PORT`, `unix:/path` or "" / `off` (None: no listener)."""
    value = value.strip()
    if value.lower() in ("", "off", "none"):
        return None
    if value.startswith("unix:"):
        path = value[len("unix:") :]
        if not path:
            raise ValueError("an LMTP unix socket needs a path: unix:/path/to/socket")
        return UnixAddress(path)
    host, sep, port_text = value.rpartition(":")
    if not sep or not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise ValueError(f"LMTP address {value!r} is not HOST:PORT, unix:/path or off")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise ValueError(f"LMTP address {value!r}: write an IPv6 host in brackets")
    return TcpAddress(host or "0.0.0.0", int(port_text))


class LmtpEnvelope(Envelope):
    """aiosmtpd's envelope plus the resolved recipient of each accepted RCPT (same order)."""

    def __init__(self) -> None:
        super().__init__()
        self.recipients: list[Recipient] = []


@dataclass(slots=True)
class DeliveryHandler:
    """The aiosmtpd handler: RCPT resolves recipients, `deliver` stores one copy each."""

    store: Store
    settings: Settings
    hostname: str = field(default_factory=socket.gethostname)
    queue: DeliveryQueue = field(init=False)

    def __post_init__(self) -> None:
        self.queue = DeliveryQueue(self.store, settings=self.settings)

    async def handle_EHLO(
        self, server: Any, session: Session, envelope: Envelope, hostname: str, responses: list[str]
    ) -> list[str]:
        """LHLO (RFC 2033 section 4.1). aiosmtpd lists SIZE, 8BITMIME and SMTPUTF8 as it
        enforces them; PIPELINING holds because commands are read and answered one by one, and
        every reply after this one carries an enhanced status code (`lmtp.with_enhanced_code`)."""
        session.host_name = hostname
        extensions = [r[4:] for r in responses[1:] if r[4:] != "HELP"]
        extensions += ["PIPELINING", "ENHANCEDSTATUSCODES"]
        lines = [responses[0][4:], *extensions]
        return [f"250-{line}" for line in lines[:-1]] + [f"250 {lines[-1]}"]

    async def handle_MAIL(
        self, server: Any, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return lmtp.MAIL_OK

    async def handle_RCPT(
        self, server: Any, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        assert isinstance(envelope, LmtpEnvelope)
        if not is_local(self.settings, address):
            return lmtp.rcpt_not_local(address)
        settings = self.settings
        try:
            recipient = await self.store.read(lambda txn: resolve(txn, settings, address))
        except (StoreError, sqlite3.Error, OSError):
            log.exception("looking up LMTP recipient %s", address)
            return lmtp.RCPT_TEMP_FAILURE
        if recipient is None:
            return lmtp.rcpt_unknown_user(address)
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        envelope.recipients.append(recipient)
        return lmtp.RCPT_OK

    async def handle_exception(self, error: Exception) -> str:
        """A bug or an unexpected failure while handling a command: say "try again later"
        (aiosmtpd's default is a permanent 500, which would bounce the mail)."""
        log.error("LMTP command failed", exc_info=error)
        return lmtp.TEMP_FAILURE

    async def deliver(self, session: Session, envelope: LmtpEnvelope, content: bytes) -> list[str]:
        """Store one copy per accepted recipient; one reply each, in RCPT order."""
        transaction_id = lmtp.new_transaction_id()
        copies = []
        for address, recipient in zip(envelope.rcpt_tos, envelope.recipients, strict=True):
            trace = lmtp.Trace(
                mail_from=envelope.mail_from or "",
                recipient=address,
                helo=session.host_name or "",
                peer=lmtp.peer_description(session.peer),
                hostname=self.hostname,
                transaction_id=transaction_id,
            )
            copies.append(self._deliver_one(recipient, lmtp.trace_headers(trace) + content))
        # All at once: copies for one account share a transaction (`DeliveryQueue`).
        return list(await asyncio.gather(*copies))

    async def _deliver_one(self, recipient: Recipient, raw: bytes) -> str:
        try:
            mailbox_ids = None
            if recipient.mailbox_hint:
                found = await mailbox_id_by_role_or_name(
                    self.store, recipient.account_id, recipient.mailbox_hint
                )
                mailbox_ids = [found] if found is not None else None
            await self.queue.deliver(recipient.account_id, Incoming(raw, mailbox_ids))
        except IngestError as exc:
            log.warning("LMTP delivery to account %s refused: %s", recipient.account_id, exc)
            return lmtp.MAILBOX_UNAVAILABLE
        except (OSError, sqlite3.OperationalError) as exc:
            log.error("LMTP delivery to account %s failed: %s", recipient.account_id, exc)
            full = getattr(exc, "errno", None) in (errno.ENOSPC, errno.EDQUOT) or "full" in str(exc)
            return lmtp.STORAGE_FULL if full else lmtp.TEMP_FAILURE
        except Exception:
            log.exception("LMTP delivery to account %s failed", recipient.account_id)
            return lmtp.TEMP_FAILURE
        return lmtp.DELIVERED


class SatchelLmtp(LMTP):
    """One LMTP connection. Only DATA differs from aiosmtpd (see the module docstring); `push`
    adds enhanced status codes to the replies aiosmtpd words without one."""

    line_length_limit = READ_LIMIT
    event_handler: DeliveryHandler

    def __init__(self, handler: DeliveryHandler, max_message_size: int) -> None:
        super().__init__(
            handler,
            data_size_limit=max_message_size,
            enable_SMTPUTF8=True,
            decode_data=False,
            hostname=handler.hostname,
            ident="Satchel LMTP",
            loop=asyncio.get_running_loop(),
        )
        self._in_lhlo = False

    def _create_envelope(self) -> Envelope:
        return LmtpEnvelope()

    def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
        """MAIL/RCPT path parsing: a plain `<local@domain>` is split here; anything else (the
        null path, quoted local parts, source routes) goes to aiosmtpd's full RFC 5322 parser,
        which costs ~0.25 ms a call (it defines a class each time)."""
        plain = _PLAIN_PATH.match(arg)
        if plain is not None:
            return plain.group(1), plain.group(2).strip()
        return super()._getaddr(arg)

    async def push(self, status: Any) -> None:
        if isinstance(status, str) and not self._in_lhlo:
            status = lmtp.with_enhanced_code(status)
        await super().push(status)

    @syntax("LHLO hostname")
    async def smtp_LHLO(self, arg: str) -> None:
        self._in_lhlo = True
        try:
            await super().smtp_LHLO(arg)
        finally:
            self._in_lhlo = False

    @syntax("DATA")
    async def smtp_DATA(self, arg: str) -> None:
        if await self.check_helo_needed("LHLO"):
            return
        envelope = self.envelope
        assert isinstance(envelope, LmtpEnvelope) and self.session is not None
        if not envelope.rcpt_tos:
            # RFC 2033 section 4.2: no successful RCPT, DATA fails with 503.
            await self.push("503 5.5.1 Error: need RCPT command")
            return
        if arg:
            await self.push("501 5.5.4 Syntax: DATA")
            return
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        reader = lmtp.DataReader(self.data_size_limit)
        while not reader.done:
            try:
                piece = await self._reader.readuntil(lmtp.TERMINATOR)
            except asyncio.LimitOverrunError as overrun:
                piece = await self._reader.readexactly(overrun.consumed)
            except asyncio.IncompleteReadError:
                # The client went away mid-DATA: nothing is delivered.
                self._writer.close()
                return
            self._reset_timeout()
            reader.feed(piece)
        if reader.too_big:
            replies = [lmtp.TOO_BIG] * len(envelope.rcpt_tos)
        else:
            replies = await self.event_handler.deliver(self.session, envelope, reader.message())
        self._set_post_data_state()  # type: ignore[no-untyped-call]
        for reply in replies:
            await self.push(reply)


@dataclass(slots=True)
class LmtpListener:
    """A running listener; `address` is where it listens (the bound port for TCP port 0)."""

    server: asyncio.Server
    address: LmtpAddress
    _lock_fd: int | None = None

    async def close(self) -> None:
        self.server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.server.wait_closed(), 5)
        if isinstance(self.address, UnixAddress) and self._lock_fd is not None:
            with contextlib.suppress(OSError):
                os.unlink(self.address.path)
            os.close(self._lock_fd)


async def start_lmtp(
    store: Store,
    settings: Settings,
    address: LmtpAddress,
    *,
    max_message_size: int = lmtp.DEFAULT_MAX_MESSAGE_SIZE,
    reuse_port: bool = True,
) -> LmtpListener | None:
    """Listen for LMTP. None when a unix socket is already served by a sibling worker."""
    handler = DeliveryHandler(store, settings)

    def factory() -> SatchelLmtp:
        return SatchelLmtp(handler, max_message_size)

    loop = asyncio.get_running_loop()
    if isinstance(address, TcpAddress):
        server = await loop.create_server(
            factory, address.host, address.port, reuse_port=reuse_port, start_serving=True
        )
        port = server.sockets[0].getsockname()[1]
        return LmtpListener(server, TcpAddress(address.host, int(port)))
    lock_fd = _lock_unix_socket(address.path)
    if lock_fd is None:
        return None
    try:
        _remove_stale_socket(address.path)
        server = await loop.create_unix_server(factory, address.path, start_serving=True)
    except BaseException:
        os.close(lock_fd)
        raise
    return LmtpListener(server, address, lock_fd)


def _lock_unix_socket(path: str) -> int | None:
    """An exclusive lock on `PATH.lock`: the holder serves the socket (one per data dir)."""
    fd = os.open(path + ".lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def _remove_stale_socket(path: str) -> None:
    """A socket file left by a previous run (we hold the lock, so nobody serves it)."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(mode):
        raise OSError(errno.EEXIST, "exists and is not a socket", path)
    Path(path).unlink()


@contextlib.asynccontextmanager
async def lmtp_listening(store: Store, settings: Settings) -> AsyncIterator[LmtpListener | None]:
    """Serve LMTP at `settings.lmtp_listen` for the duration of the block (None if off)."""
    address = parse_lmtp_listen(settings.lmtp_listen)
    # SO_REUSEPORT only when sibling workers share the port: a lone server keeps the usual
    # "address already in use" error instead of silently sharing it with a stray process.
    reuse = settings.workers > 1
    listener = (
        None if address is None else await start_lmtp(store, settings, address, reuse_port=reuse)
    )
    if listener is not None:
        log.info("LMTP listening on %s", settings.lmtp_listen)
    try:
        yield listener
    finally:
        if listener is not None:
            await listener.close()
