"""Whether a delivered message gets a vacation auto-reply: the RFC 3834 rules (section 2, and
RFC 5230 section 4.6 for Sieve vacation, which the JMAP server guide points at), as pure
functions over the message's header fields, so each rule is tested on its own.

No reply goes to:
- a message without a usable envelope sender (no Return-Path, or the null path `<>`: bounces
  and other auto-replies, RFC 3834 section 3.3);
- an automated sender: MAILER-DAEMON, LISTSERV, majordomo, `owner-*`, `*-request` (RFC 5230
  section 4.6), and the `no-reply` conventions, whose replies would only bounce;
- a message with `Auto-Submitted` other than `no` (RFC 3834 section 5), `Precedence: bulk`,
  `list` or `junk`, or any `List-*` field (RFC 2369, RFC 2919): mailing lists and robots;
- the user themself (the envelope sender or a From address is one the user may send from);
- a message that does not name the user in To, Cc, Bcc or Resent-To/-Cc/-Bcc (RFC 3834 section
  2: a personal responder SHOULD NOT answer mail it got only as a list member or a blind copy);
- a sender already answered within the period (`REPLY_PERIOD_SECONDS`, 7 days, RFC 3834 section
  2's "SHOULD NOT ... more than once" with RFC 5230's default), kept by the store's reply log.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses
from typing import Any, Final

REPLY_PERIOD_SECONDS: Final = 7 * 24 * 3600

RECIPIENT_FIELDS: Final = ("To", "Cc", "Bcc", "Resent-To", "Resent-Cc", "Resent-Bcc")
AUTOMATED_LOCAL_PARTS: Final = frozenset(
    {"mailer-daemon", "listserv", "majordomo", "noreply", "no-reply", "donotreply", "do-not-reply"}
)
BULK_PRECEDENCE: Final = frozenset({"bulk", "list", "junk"})
_MSG_ID: Final = re.compile(r"<([^<>\s]+)>")
_COMMENT: Final = re.compile(r"\([^()]*\)")


@dataclass(frozen=True, slots=True)
class Original:
    """What the rules and the reply need of the delivered message."""

    envelope_sender: str | None  # the topmost Return-Path: "" for `<>`, None when absent
    from_addresses: tuple[str, ...]
    recipients: tuple[str, ...]  # RECIPIENT_FIELDS' addresses
    subject: str
    message_id: str | None  # without angle brackets
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    auto_submitted: str | None  # the keyword, lowercased
    precedence: str | None  # lowercased
    list_fields: tuple[str, ...]  # names of List-* fields present


def _head(raw: bytes) -> Message:
    end = raw.find(b"\r\n\r\n")
    if end < 0:
        end = raw.find(b"\n\n")
    head = raw if end < 0 else raw[: end + 2]
    return BytesHeaderParser(policy=compat32).parsebytes(head)


def _text(value: Any) -> str:
    """A header value as text: raw UTF-8 (RFC 6532) and RFC 2047 encoded words decoded,
    folding undone."""
    text = str(value)
    with contextlib.suppress(UnicodeError):
        # The parser keeps undecodable 8-bit bytes as surrogates: read them as UTF-8.
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    with contextlib.suppress(ValueError, LookupError, UnicodeError):
        text = str(make_header(decode_header(text)))
    return " ".join(text.split())


def _raw_value(message: Message, name: str) -> str | None:
    """A field's value as parsed, 8-bit bytes still as surrogates (`Message.get` would turn
    them into replacement characters)."""
    wanted = name.lower()
    return next((str(v) for k, v in message.raw_items() if k.lower() == wanted), None)


def _addresses(message: Message, fields: tuple[str, ...]) -> tuple[str, ...]:
    values = [str(v) for name in fields for v in message.get_all(name, [])]
    return tuple(addr for _, addr in getaddresses(values) if "@" in addr)


def _ids(value: Any) -> tuple[str, ...]:
    return tuple(_MSG_ID.findall(str(value))) if value is not None else ()


def _keyword(value: Any) -> str | None:
    """`auto-replied; owner-email=...` -> `auto-replied` (comments dropped)."""
    if value is None:
        return None
    return _COMMENT.sub("", str(value)).partition(";")[0].strip().lower()


def _envelope_sender(value: Any) -> str | None:
    if value is None:
        return None
    text = _COMMENT.sub("", str(value)).strip()
    if text.startswith("<") and ">" in text:
        text = text[1 : text.index(">")]
    return text.strip()


def read_original(raw: bytes) -> Original:
    """The facts of a delivered message (its header fields only)."""
    message = _head(raw)
    ids = _ids(message.get("Message-ID"))
    return Original(
        envelope_sender=_envelope_sender(message.get("Return-Path")),
        from_addresses=_addresses(message, ("From",)),
        recipients=_addresses(message, RECIPIENT_FIELDS),
        subject=_text(_raw_value(message, "Subject") or ""),
        message_id=ids[0] if ids else None,
        in_reply_to=_ids(message.get("In-Reply-To")),
        references=_ids(message.get("References")),
        auto_submitted=_keyword(message.get("Auto-Submitted")),
        precedence=_keyword(message.get("Precedence")),
        list_fields=tuple(k for k in message if k.lower().startswith("list-")),
    )


def _utc(value: object) -> datetime | None:
    """A validated UTCDate as a datetime; a leap second (`:60`) counts as the second before."""
    if not isinstance(value, str):
        return None
    if value[17:19] == "60":
        value = value[:17] + "59" + value[19:]
    return datetime.fromisoformat(value)


def in_effect(vacation: Mapping[str, Any], now: datetime) -> bool:
    """RFC 8621 section 8: enabled, and `now` on or after fromDate and before toDate (each
    bound only when set). `now` must be timezone-aware."""
    if vacation.get("isEnabled") is not True:
        return False
    start, end = _utc(vacation.get("fromDate")), _utc(vacation.get("toDate"))
    return (start is None or now >= start) and (end is None or now < end)


def is_automated(address: str) -> bool:
    local = address.rpartition("@")[0].lower()
    return (
        local in AUTOMATED_LOCAL_PARTS or local.startswith("owner-") or local.endswith("-request")
    )


def skip_reason(original: Original, is_own: Callable[[str], bool]) -> str | None:
    """Why the message gets no reply (None: it gets one). `is_own(address)` says whether an
    address is the user's."""
    sender = original.envelope_sender
    if sender is None:
        return "no Return-Path"
    if sender == "" or "@" not in sender:
        return "null envelope sender"
    if is_automated(sender):
        return f"automated sender {sender}"
    if original.auto_submitted is not None and original.auto_submitted != "no":
        return f"Auto-Submitted: {original.auto_submitted}"
    if original.precedence in BULK_PRECEDENCE:
        return f"Precedence: {original.precedence}"
    if original.list_fields:
        return f"mailing list ({original.list_fields[0]})"
    if is_own(sender) or any(is_own(a) for a in original.from_addresses):
        return "sent by the user"
    if not any(is_own(a) for a in original.recipients):
        return "the user is not named in To, Cc or Bcc"
    return None
