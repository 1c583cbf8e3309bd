"""Delivery status notifications (RFC 3464): bounces telling the sender which recipients
failed and why, and the success notices RFC 3461 NOTIFY=SUCCESS asks for, as a
`multipart/report; report-type=delivery-status` message (RFC 6522) with a human-readable part,
the machine-readable status and the original header (RFC 3462 text/rfc822-headers), or the
whole original when RET=FULL asked for it. Sent with the null reverse-path, so a DSN can never
bounce itself (RFC 5321 section 4.5.5)."""

from __future__ import annotations

import re
import secrets
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime

_ENHANCED = re.compile(r"\d{3}[ -]([245]\.\d{1,3}\.\d{1,3})\b")


@dataclass(frozen=True, slots=True)
class Failure:
    """One recipient's outcome worth a notice (the name says what it mostly is)."""

    address: str
    reply: str  # the SMTP reply that ended the attempts (or a synthetic one)
    remote_mta: str | None = None
    action: str = "failed"  # failed | delivered | relayed (RFC 3464 section 2.3.3)
    original_recipient: str | None = None  # ORCPT, "rfc822;address" (RFC 3461 section 4.2)


def status_of(reply: str) -> str:
    """The RFC 3463 status code of a reply: its enhanced code, else the class with 0.0."""
    match = _ENHANCED.match(reply)
    if match is not None:
        return match.group(1)
    return f"{reply[:1] if reply[:1] in '245' else '5'}.0.0"


def _header_block(raw: bytes) -> bytes:
    end = raw.find(b"\r\n\r\n")
    if end < 0:
        end = raw.find(b"\n\n")
    return raw if end < 0 else raw[: end + 2]


def _date(when: float) -> str:
    return format_datetime(datetime.fromtimestamp(when, UTC).astimezone())


def compose_dsn(
    *,
    domain: str,
    original_sender: str,
    original: bytes,
    failures: Sequence[Failure],
    arrival: float,
    envelope_id: str | None = None,
    full: bool = False,
    now: float | None = None,
) -> bytes:
    """The DSN for `failures` (any action) of `original`, addressed to `original_sender`;
    `full` returns the whole message (RET=FULL) instead of its header."""
    now = time.time() if now is None else now
    host = socket.getfqdn()
    boundary = f"=_dsn_{secrets.token_hex(12)}"
    failed = [f for f in failures if f.action == "failed"]
    done = [f for f in failures if f.action != "failed"]
    human = ["This is the mail system at " + host + ".", ""]
    if failed:
        human += ["Your message could not be delivered to these recipients:", ""]
        human += [f"  <{f.address}>: {f.reply}" for f in failed] + [""]
    if done:
        human += ["Your message was delivered (or relayed onwards) to these recipients:", ""]
        human += [f"  <{f.address}>: {f.action}, {f.reply}" for f in done] + [""]
    human.append(f"Attached: {'your message' if full else 'the header of your message'}.")
    per_message = [f"Reporting-MTA: dns; {host}"]
    if envelope_id:
        per_message.append(f"Original-Envelope-Id: {envelope_id}")
    per_message.append(f"Arrival-Date: {_date(arrival)}")
    blocks = ["\r\n".join(per_message)]
    for failure in failures:
        lines = []
        if failure.original_recipient:
            lines.append(f"Original-Recipient: {failure.original_recipient}")
        lines += [
            f"Final-Recipient: rfc822; {failure.address}",
            f"Action: {failure.action}",
            f"Status: {status_of(failure.reply)}",
        ]
        if failure.remote_mta:
            lines.append(f"Remote-MTA: dns; {failure.remote_mta}")
        lines.append(f"Diagnostic-Code: smtp; {failure.reply}")
        lines.append(f"Last-Attempt-Date: {_date(now)}")
        blocks.append("\r\n".join(lines))
    head = "\r\n".join(
        [
            f"From: Mail Delivery System <MAILER-DAEMON@{domain}>",
            f"To: <{original_sender}>",
            "Subject: "
            + (
                "Undelivered Mail Returned to Sender"
                if failed
                else "Successful Mail Delivery Report"
            ),
            f"Date: {_date(now)}",
            f"Message-ID: <dsn.{secrets.token_hex(10)}@{domain}>",
            "Auto-Submitted: auto-replied",
            "MIME-Version: 1.0",
            "Content-Type: multipart/report; report-type=delivery-status;",
            f'\tboundary="{boundary}"',
        ]
    )
    body = (
        f"--{boundary}\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n" + "\r\n".join(human) + "\r\n"
        f"--{boundary}\r\n"
        "Content-Type: message/delivery-status\r\n\r\n" + "\r\n\r\n".join(blocks) + "\r\n"
        f"--{boundary}\r\n"
        f"Content-Type: {'message/rfc822' if full else 'text/rfc822-headers'}\r\n\r\n"
    ).encode("utf-8", "surrogateescape")
    returned = original if full else _header_block(original)
    return (
        head.encode("utf-8", "surrogateescape")
        + b"\r\n\r\n"
        + body
        + returned
        + f"\r\n--{boundary}--\r\n".encode()
    )
