"""The vacation auto-reply message (RFC 3834 section 3, as the JMAP server guide's "Vacation"
section spells it out): From the user, To the envelope sender, `Auto-Submitted: auto-replied`,
In-Reply-To and References threading it to the original (RFC 5322 section 3.6.4), the
VacationResponse's subject or "Auto: " and the original subject (RFC 3834 section 3.1.5), and its
bodies: text and HTML as multipart/alternative, text derived from the HTML when only that is set
(RFC 8621 section 8 SHOULD), a default text when neither is."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr, make_msgid
from typing import Any, Final

from satchel.mail.mime.bodies import html_to_text
from satchel.mail.vacation_rules import Original

AUTO_PREFIX: Final = "Auto: "
DEFAULT_TEXT: Final = (
    "I am away and will read your message when I am back.\r\n"
    "This is an automatic reply; it is sent once per sender.\r\n"
)


def _one_line(text: str) -> str:
    """Header text from a client or the original message: no line breaks (no header
    injection), runs of white space as one space."""
    return " ".join(text.split())


def reply_subject(vacation: Mapping[str, Any], original: Original) -> str:
    subject = vacation.get("subject")
    if isinstance(subject, str) and subject.strip():
        return _one_line(subject)
    return AUTO_PREFIX + (_one_line(original.subject) or "(no subject)")


def _references(original: Original) -> list[str]:
    """RFC 5322 section 3.6.4: the parent's References (else its single In-Reply-To), then the
    parent's Message-ID."""
    if original.message_id is None:
        return []
    parents = list(original.references)
    if not parents and len(original.in_reply_to) == 1:
        parents = list(original.in_reply_to)
    return [*parents, original.message_id]


def compose_reply(
    vacation: Mapping[str, Any],
    original: Original,
    *,
    from_address: str,
    from_name: str,
    to: str,
    now: datetime,
    domain: str,
) -> bytes:
    """The reply's RFC 5322 bytes (CRLF line ends)."""
    reply = EmailMessage(policy=SMTP)
    reply["From"] = formataddr((_one_line(from_name), from_address))
    reply["To"] = to
    reply["Subject"] = reply_subject(vacation, original)
    reply["Date"] = format_datetime(now)
    reply["Message-ID"] = make_msgid(domain=domain)
    if original.message_id is not None:
        reply["In-Reply-To"] = f"<{original.message_id}>"
        reply["References"] = " ".join(f"<{i}>" for i in _references(original))
    reply["Auto-Submitted"] = "auto-replied"
    text, html = vacation.get("textBody"), vacation.get("htmlBody")
    if not isinstance(html, str):
        html = None
    if not isinstance(text, str):
        text = html_to_text(html).strip() + "\r\n" if html is not None else DEFAULT_TEXT
    reply.set_content(text)
    if html is not None:
        reply.add_alternative(html, subtype="html")
    return reply.as_bytes()
