"""The pure parts of the LMTP server (RFC 2033), testable without sockets: reading the DATA
stream, the replies with enhanced status codes, and the trace headers an MDA adds.

The asyncio glue (aiosmtpd) is `satchel.smtp.lmtp_server`. What LMTP changes from SMTP
(RFC 2033 section 4.2): after the final dot of DATA the server sends one reply per *accepted*
recipient, in RCPT order, each saying whether delivery to that mailbox succeeded.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Final

# The largest message accepted, as the Session's maxSizeUpload (RFC 8620 section 2): a message
# Satchel takes over LMTP could also be uploaded and imported with Email/import.
DEFAULT_MAX_MESSAGE_SIZE: Final = 50_000_000

TERMINATOR: Final = b".\r\n"  # readuntil() target; it ends the data only at a line start
_END: Final = b"\r\n" + TERMINATOR  # the data starts after a (virtual) line end


class DataReader:
    """Collects a DATA stream (RFC 5321 section 4.5.2) fed in pieces as they arrive.

    A piece is whatever the transport read: pieces ending in `.\\r\\n` (the glue reads up to
    that) or arbitrary fragments of a long stretch. The data ends at a line consisting of a
    single dot; lines starting with a dot lose it ("transparency"). Past `max_size` the bytes
    are dropped but the stream is still read to its end, so the session stays in sync and each
    recipient can be told (RFC 5321 section 4.5.3.1.10)."""

    __slots__ = ("_max_size", "_pieces", "_tail", "done", "size", "too_big")

    def __init__(self, max_size: int | None) -> None:
        self._max_size = max_size
        self._pieces: list[bytes] = []
        self._tail = b"\r\n"  # the data starts at a line start
        self.size = 0
        self.too_big = False
        self.done = False

    def feed(self, piece: bytes) -> bool:
        """Take the next piece; True once the terminating dot line has been seen (the piece
        must then end with it: the caller reads no further)."""
        if self.done:
            raise ValueError("DATA already complete")
        window = self._tail + piece
        self.done = window.endswith(_END)
        self.size += len(piece)
        if self._max_size is not None and self.size > self._max_size + len(TERMINATOR):
            self.too_big = True
            self._pieces.clear()
        elif piece:
            self._pieces.append(piece)
        self._tail = window[-len(_END) :]
        return self.done

    def message(self) -> bytes:
        """The message with dot-stuffing removed (only once `done`, and not `too_big`)."""
        if not self.done or self.too_big:
            raise ValueError("no complete message")
        wire = b"".join(self._pieces)[: -len(TERMINATOR)]
        return (b"\r\n" + wire).replace(b"\r\n.", b"\r\n")[2:]


# --- replies ----------------------------------------------------------------------------------

_HAS_ENHANCED = re.compile(r"\d{3}[ -][245]\.\d{1,3}\.\d{1,3}(?: |$)")

# RFC 3463 codes for the replies aiosmtpd writes itself without one.
_ENHANCED_BY_CODE: Final = {
    "500": "5.5.2",  # syntax error, command unrecognised
    "501": "5.5.4",  # invalid command arguments
    "502": "5.5.1",  # command not implemented
    "503": "5.5.1",  # bad sequence of commands
    "504": "5.5.4",
    "530": "5.7.0",
    "552": "5.3.4",  # message too big for system
    "553": "5.1.3",  # bad destination mailbox address syntax
    "555": "5.5.4",
}


def with_enhanced_code(reply: str) -> str:
    """Give a reply an RFC 3463 enhanced status code if it lacks one (RFC 2034 section 3: once
    ENHANCEDSTATUSCODES is advertised, every reply but the greeting and LHLO carries one).
    Intermediate (1xx, 3xx) replies and the 220 greeting are left alone."""
    code = reply[:3]
    if len(reply) < 3 or not code.isdigit() or code[0] not in "245" or code == "220":
        return reply
    if _HAS_ENHANCED.match(reply):
        return reply
    enhanced = _ENHANCED_BY_CODE.get(code, f"{code[0]}.0.0")
    separator = reply[3:4] or " "
    text = reply[4:]
    return f"{code}{separator}{enhanced}" + (f" {text}" if text else "")


# Per-recipient outcomes after DATA (RFC 2033 section 4.2; codes from RFC 3463).
DELIVERED: Final = "250 2.1.5 OK, delivered"
TOO_BIG: Final = "552 5.3.4 Message too big for system"
TEMP_FAILURE: Final = "451 4.3.0 Temporary failure, please retry"
MAILBOX_UNAVAILABLE: Final = "450 4.2.0 Mailbox temporarily unavailable"
STORAGE_FULL: Final = "452 4.3.1 Mail system full"

RCPT_OK: Final = "250 2.1.5 OK"
MAIL_OK: Final = "250 2.1.0 OK"
RCPT_TEMP_FAILURE: Final = "451 4.3.0 Temporary failure looking up the recipient"


def rcpt_unknown_user(address: str) -> str:
    return f"550 5.1.1 <{address}>: no such user here"


def rcpt_not_local(address: str) -> str:
    # RFC 3463 X.1.2: bad destination system address (this server delivers only local mail).
    return f"550 5.1.2 <{address}>: not a local domain, relaying denied"


# --- trace headers ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Trace:
    """What a delivery knows for the trace fields (RFC 5321 section 4.4)."""

    mail_from: str  # "" or "<>" for the null reverse-path
    recipient: str
    helo: str
    peer: str  # "[192.0.2.1]", or "local" for a unix socket
    hostname: str
    transaction_id: str


def new_transaction_id() -> str:
    return secrets.token_hex(8)


def _clean(value: str) -> str:
    """No CR/LF (or other controls) may reach a header from the envelope."""
    return "".join(ch for ch in value if ch >= " " and ch != "\x7f")


def trace_headers(trace: Trace, now: float | None = None) -> bytes:
    """Return-Path, Delivered-To and Received, as an MDA prepends them (RFC 5321 section 4.4:
    the final delivery adds Return-Path; Received records this hop; Delivered-To, the
    recipient this copy was for, lets loops be seen)."""
    sender = _clean(trace.mail_from)
    if sender in ("", "<>"):
        sender = ""
    when = format_datetime(
        datetime.fromtimestamp(time.time() if now is None else now, UTC).astimezone()
    )
    lines = [
        f"Return-Path: <{sender}>",
        f"Delivered-To: {_clean(trace.recipient)}",
        f"Received: from {_clean(trace.helo) or 'unknown'} ({_clean(trace.peer)})",
        f"\tby {_clean(trace.hostname)} (Satchel) with LMTP id {trace.transaction_id}",
        f"\tfor <{_clean(trace.recipient)}>; {when}",
    ]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8", "surrogateescape")


def peer_description(peername: object) -> str:
    """`[address]` for a TCP peer, `local` for a unix-socket one."""
    if isinstance(peername, tuple) and peername and isinstance(peername[0], str):
        return f"[{peername[0]}]"
    return "local"
