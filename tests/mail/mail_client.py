"""A small JMAP client for the mail tests: requests go through `satchel.core.engine.process`
with the registry `build_registry` makes, on the suite's real store; plus a builder of RFC 5322
messages for ingest."""

from __future__ import annotations

from typing import Any

from engine_client import EngineClient

from satchel.config import Settings
from satchel.core.limits import CoreLimits
from satchel.mail.ingest import Incoming, ingest
from satchel.services import build_registry
from satchel.store.base import Account, Store, User

CORE = "urn:ietf:params:jmap:core"
MAIL = "urn:ietf:params:jmap:mail"


class MailClient(EngineClient):
    def __init__(self, store: Store, user: User, accounts: list[Account], limits: CoreLimits):
        registry = build_registry(Settings(), limits)
        super().__init__(store, user, accounts, limits, registry, [CORE, MAIL])

    async def mailboxes(self) -> dict[str, dict[str, Any]]:
        """Every mailbox, by role (or by name when it has no role)."""
        result = await self.ok("Mailbox/get", ids=None)
        return {m["role"] or m["name"]: m for m in result["list"]}

    async def mailbox_id(self, role: str) -> str:
        return str((await self.mailboxes())[role]["id"])

    async def deliver(self, raw: bytes, **kwargs: Any) -> str:
        email_id, _ = await ingest(self.store, self.account_id, Incoming(raw, **kwargs))
        return email_id

    async def set_mailbox(self, **mailbox: Any) -> dict[str, Any]:
        result = await self.ok("Mailbox/set", create={"new": mailbox})
        return result

    async def create_mailbox(self, name: str, **props: Any) -> str:
        result = await self.set_mailbox(name=name, **props)
        assert result["notCreated"] is None, result["notCreated"]
        return str(result["created"]["new"]["id"])


def message(
    subject: str = "Hello",
    *,
    sender: str = "Bob <bob@example.com>",
    to: str = "Alice <alice@example.com>",
    message_id: str | None = "<1@example.com>",
    in_reply_to: str | None = None,
    references: str | None = None,
    body: str = "Hi Alice,\r\nhow are you?\r\n",
    date: str = "Mon, 02 Jan 2023 10:00:00 +0000",
    extra_headers: str = "",
) -> bytes:
    """A plain text RFC 5322 message."""
    lines = [f"From: {sender}", f"To: {to}", f"Subject: {subject}", f"Date: {date}"]
    if message_id is not None:
        lines.append(f"Message-ID: {message_id}")
    if in_reply_to is not None:
        lines.append(f"In-Reply-To: {in_reply_to}")
    if references is not None:
        lines.append(f"References: {references}")
    lines += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8"]
    head = "\r\n".join(lines) + "\r\n" + extra_headers
    return (head + "\r\n" + body).encode("utf-8")


def multipart_message(
    subject: str = "With attachment", message_id: str = "<m@example.com>"
) -> bytes:
    return (
        "From: Carol <carol@example.com>\r\n"
        "To: alice@example.com\r\n"
        f"Subject: {subject}\r\n"
        "Date: Tue, 03 Jan 2023 09:30:00 +0100\r\n"
        f"Message-ID: {message_id}\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b1"\r\n'
        "\r\n"
        "--b1\r\n"
        'Content-Type: multipart/alternative; boundary="b2"\r\n'
        "\r\n"
        "--b2\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        "The plain body with caf\xe9.\r\n"
        "--b2\r\n"
        "Content-Type: text/html; charset=utf-8\r\n"
        "\r\n"
        "<p>The <b>html</b> body</p>\r\n"
        "--b2--\r\n"
        "--b1\r\n"
        'Content-Type: application/pdf; name="report.pdf"\r\n'
        'Content-Disposition: attachment; filename="report.pdf"\r\n'
        "Content-Transfer-Encoding: base64\r\n"
        "\r\n"
        "JVBERi0xLjQK\r\n"
        "--b1--\r\n"
    ).encode()
