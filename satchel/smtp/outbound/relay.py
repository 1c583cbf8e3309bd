"""Handing a message to the configured SMTP relay (RFC 5321) with aiosmtplib: one transaction
per message, recipients one RCPT at a time so each gets its own reply (RFC 8621 section 7:
`smtpReply` is the RCPT reply, or the DATA reply when the message as a whole was refused).

`relay_send` never raises for SMTP trouble: a connection that fails, times out or is refused
as a whole comes back as a reply for every recipient, so the queue can decide between retry
and bounce by the reply code alone."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Sequence
from dataclasses import dataclass

import aiosmtplib

from satchel.config import Settings


@dataclass(frozen=True, slots=True)
class RelayAddress:
    host: str
    port: int


def parse_relay(value: str) -> RelayAddress | None:
    """`HOST:PORT`, `[IPv6]:PORT` or `HOST` (port 587, message submission); "" means none."""
    value = value.strip()
    if not value:
        return None
    host, sep, port_text = value.rpartition(":")
    if not sep or "]" in port_text or (":" in host and not host.startswith("[")):
        host, port_text = value, "587"
    if not port_text.isdigit() or not 0 < int(port_text) <= 65535:
        raise ValueError(f"smtp_relay {value!r} is not HOST:PORT")
    return RelayAddress(host.strip("[]"), int(port_text))


def one_line(reply: str | aiosmtplib.SMTPResponse | int, message: str = "") -> str:
    """An SMTP reply as one string (RFC 8621 section 7, smtpReply): continuation lines lose
    the code prefix they share with the first and the line ends become spaces."""
    if isinstance(reply, aiosmtplib.SMTPResponse):
        code, message = reply.code, reply.message
    elif isinstance(reply, int):
        code = reply
    else:
        return reply
    lines = [line.strip() for line in message.splitlines() if line.strip()] or [""]
    first = lines[0]
    prefix = first.split(" ", 1)[0] if first[:1].isdigit() else ""
    rest = [
        line[len(prefix) :].strip() if prefix and line.startswith(prefix) else line
        for line in lines[1:]
    ]
    return " ".join([f"{code} {first}".strip(), *rest]).strip()


@dataclass(frozen=True, slots=True)
class RelayRecipient:
    address: str
    params: Sequence[str] = ()


def _security(settings: Settings) -> tuple[bool, bool | None]:
    """(implicit TLS, STARTTLS): True requires it, None uses it when offered."""
    mode = settings.smtp_relay_security.strip().lower()
    if mode == "tls":
        return True, False
    if mode == "starttls":
        return False, True
    if mode == "none":
        return False, False
    return False, None  # starttls-if-offered


async def relay_send(
    settings: Settings,
    mail_from: str,
    mail_params: Sequence[str],
    recipients: Sequence[RelayRecipient],
    raw: bytes,
) -> dict[str, str]:
    """Send `raw` through the relay; the final reply for each recipient address."""
    relay = parse_relay(settings.smtp_relay)
    if relay is None:
        reply = "550 5.7.1 No SMTP relay is configured for remote recipients"
        return {r.address: reply for r in recipients}
    use_tls, start_tls = _security(settings)
    client = aiosmtplib.SMTP(
        hostname=relay.host,
        port=relay.port,
        timeout=settings.smtp_relay_timeout_seconds,
        use_tls=use_tls,
        start_tls=start_tls,
        username=settings.smtp_relay_username or None,
        password=settings.smtp_relay_password or None,
        local_hostname=socket.getfqdn(),
    )
    replies: dict[str, str] = {}
    try:
        await client.connect()
        try:
            await client.mail(mail_from, options=list(mail_params))
            accepted = []
            for recipient in recipients:
                try:
                    response = await client.rcpt(recipient.address, options=list(recipient.params))
                except aiosmtplib.SMTPRecipientRefused as refused:
                    replies[recipient.address] = one_line(refused.code, refused.message)
                else:
                    replies[recipient.address] = one_line(response)
                    accepted.append(recipient.address)
            if accepted:
                try:
                    data_reply = one_line(await client.data(raw))
                except aiosmtplib.SMTPDataError as refused:
                    data_reply = one_line(refused.code, refused.message)
                for address in accepted:
                    if not data_reply.startswith("2"):
                        replies[address] = data_reply
            else:
                await client.rset()
        except asyncio.CancelledError:
            client.close()  # shutting down: no polite QUIT to a relay that may be stalled
            raise
        else:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError):
                client.close()
        finally:
            if client.is_connected:
                client.close()
    except (aiosmtplib.SMTPAuthenticationError, aiosmtplib.SMTPConnectResponseError) as error:
        # The relay refusing Satchel itself (its login, or the connection) is a configuration
        # problem to fix, not a verdict on the message: retried, never bounced at once.
        said = one_line(error.code, error.message)
        reply = f"451 4.4.1 The relay refused the connection or login: {said}"
        for recipient in recipients:
            replies.setdefault(recipient.address, reply)
    except aiosmtplib.SMTPResponseException as error:
        # MAIL refused, or the connection refused at greeting/EHLO/AUTH: every recipient not
        # yet answered gets this reply.
        reply = one_line(error.code, error.message)
        for recipient in recipients:
            replies.setdefault(recipient.address, reply)
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
        reply = f"451 4.4.1 Relay {relay.host}:{relay.port} not reachable: {error}"
        for recipient in recipients:
            # Accepted at RCPT but the data never went through: retried like the unanswered.
            if recipient.address not in replies or replies[recipient.address].startswith("2"):
                replies[recipient.address] = reply
    return replies
