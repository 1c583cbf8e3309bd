"""Delivery reports coming back (RFC 8621 section 7: dsnBlobIds, mdnBlobIds, deliveryStatus):
when a DSN (RFC 3464) or an MDN (RFC 8098) is stored in an account, the submission it reports
on is found by the original Message-ID (or the envelope id) and gets the report's blob and what
it says per recipient: a DSN's Action delivered/failed sets `delivered` yes/no and its
Diagnostic-Code the `smtpReply`; an MDN's disposition type displayed sets `displayed` yes.

Called by the ingest path inside the transaction that stores the report, so the submission
changes in the same commit; a message that is no report costs one look at its header."""

from __future__ import annotations

import re
from email import message_from_bytes
from email.message import Message
from email.parser import HeaderParser
from email.policy import compat32
from typing import Final

from satchel.mail.submission.status import SUBMISSION_TYPE, add_report
from satchel.store.base import WriteTxn

_IS_REPORT: Final = re.compile(rb"(?im)^content-type:[ \t]*multipart/report\b")
_END_OF_HEADER: Final = re.compile(rb"\r?\n\r?\n")


def _fields(text: str) -> list[Message]:
    """Blocks of header-like fields separated by blank lines (RFC 3464 section 2.1)."""
    blocks = re.split(r"\r?\n[ \t]*\r?\n", text.strip())
    return [HeaderParser(policy=compat32).parsestr(b.strip() + "\n") for b in blocks if b.strip()]


def _text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return payload.decode("utf-8", "replace")
    inner = part.get_payload()
    if isinstance(inner, list):
        return "\n\n".join(m.as_string() for m in inner if isinstance(m, Message))
    return str(inner or "")


def _address(value: str | None) -> str | None:
    """`rfc822; someone@example.com` -> the address."""
    if not value:
        return None
    _, _, address = str(value).partition(";")
    address = (address or str(value)).strip().strip("<>").strip()
    return address or None


def _message_id(value: str | None) -> str | None:
    text = str(value or "").strip().strip("<>").strip()
    return text or None


def _original_message_id(report: Message) -> str | None:
    for part in report.walk():
        kind = part.get_content_type()
        if kind in ("text/rfc822-headers", "text/rfc822-header"):
            found = _message_id(
                HeaderParser(policy=compat32).parsestr(_text(part)).get("Message-ID")
            )
            if found:
                return found
        elif kind == "message/rfc822":
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                found = _message_id(inner[0].get("Message-ID"))
                if found:
                    return found
    return None


def _dsn(report: Message) -> tuple[str | None, str | None, dict[str, dict[str, str]]]:
    """(original Message-ID, envelope id, per-recipient updates) of a DSN."""
    updates: dict[str, dict[str, str]] = {}
    envelope_id = None
    for part in report.walk():
        if part.get_content_type() not in (
            "message/delivery-status",
            "message/global-delivery-status",
        ):
            continue
        blocks = _fields(_text(part))
        if not blocks:
            continue
        envelope_id = _message_id(blocks[0].get("Original-Envelope-Id"))
        for block in blocks[1:]:
            recipient = _address(block.get("Original-Recipient")) or _address(
                block.get("Final-Recipient")
            )
            if recipient is None:
                continue
            change: dict[str, str] = {}
            action = str(block.get("Action") or "").strip().lower()
            if action == "delivered":
                change["delivered"] = "yes"
            elif action == "failed":
                change["delivered"] = "no"
            diagnostic = str(block.get("Diagnostic-Code") or "")
            _, semicolon, reply = diagnostic.partition(";")
            reply = " ".join((reply if semicolon else diagnostic).split())
            if reply[:3].isdigit():
                change["smtpReply"] = reply
            updates[recipient] = change
    return _original_message_id(report), envelope_id, updates


def _mdn(report: Message) -> tuple[str | None, dict[str, dict[str, str]]]:
    """(original Message-ID, per-recipient updates) of an MDN (RFC 8098 section 3.2)."""
    for part in report.walk():
        if part.get_content_type() not in (
            "message/disposition-notification",
            "message/global-disposition-notification",
        ):
            continue
        fields = _fields(_text(part))
        if not fields:
            continue
        block = fields[0]
        original = _message_id(block.get("Original-Message-ID")) or _original_message_id(report)
        recipient = _address(block.get("Original-Recipient")) or _address(
            block.get("Final-Recipient")
        )
        disposition = str(block.get("Disposition") or "")
        kind = disposition.partition(";")[2].split("/")[0].strip().lower()
        updates = {recipient: {"displayed": "yes"}} if recipient and kind == "displayed" else {}
        return original, updates
    return _original_message_id(report), {}


def link_report(txn: WriteTxn, raw: bytes, blob_id: str) -> None:
    """If `raw` (just stored in the transaction's account as `blob_id`) is a DSN or MDN for a
    message this account sent, record it on the EmailSubmission(s) that sent it."""
    end = _END_OF_HEADER.search(raw)
    if not _IS_REPORT.search(raw if end is None else raw[: end.start()]):
        return
    report = message_from_bytes(raw, policy=compat32)
    report_type = str(report.get_param("report-type") or "").lower()
    envelope_id = None
    if report_type == "delivery-status":
        message_id, envelope_id, updates = _dsn(report)
        mdn = False
    elif report_type == "disposition-notification":
        message_id, updates = _mdn(report)
        mdn = True
    else:
        return
    submissions: list[str] = []
    if message_id:
        for sent in txn.outbound_by_message_id(txn.account_id, message_id):
            if sent.submission_id is not None:
                submissions.append(sent.submission_id)
    if (
        envelope_id
        and not submissions
        and txn.get_records(txn.account_id, SUBMISSION_TYPE, [envelope_id])
    ):
        submissions.append(envelope_id)
    for submission_id in dict.fromkeys(submissions):
        add_report(txn, submission_id, blob_id, mdn=mdn, updates=updates)
