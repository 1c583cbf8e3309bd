"""The auto-reply message itself, parsed back as a mail client would: RFC 3834 header fields,
threading, subject, and the bodies the VacationResponse asks for."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

from satchel.mail.vacation_reply import compose_reply
from satchel.mail.vacation_rules import read_original

ORIGINAL = (
    b"Return-Path: <bob@example.net>\r\n"
    b"From: Bob <bob@example.net>\r\n"
    b"To: alice@example.org\r\n"
    b"Subject: Lunch\r\n on Friday?\r\n"
    b"Message-ID: <m2@example.net>\r\n"
    b"In-Reply-To: <m1@example.org>\r\n"
    b"\r\nHi\r\n"
)
NOW = datetime(2030, 1, 10, 12, 0, tzinfo=UTC)


def reply(vacation: dict[str, Any], original: bytes = ORIGINAL) -> EmailMessage:
    raw = compose_reply(
        vacation,
        read_original(original),
        from_address="alice@example.org",
        from_name="Alice Liddell",
        to="bob@example.net",
        now=NOW,
        domain="example.org",
    )
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    parsed = message_from_bytes(raw, policy=default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_header_fields() -> None:
    message = reply({"subject": None, "textBody": "Away until Monday.", "htmlBody": None})
    assert message["From"] == "Alice Liddell <alice@example.org>"
    assert message["To"] == "bob@example.net"
    assert message["Subject"] == "Auto: Lunch on Friday?"
    assert message["Auto-Submitted"] == "auto-replied"
    assert message["In-Reply-To"] == "<m2@example.net>"
    # RFC 5322 section 3.6.4: no References in the parent, one In-Reply-To: that, then its id.
    assert message["References"] == "<m1@example.org> <m2@example.net>"
    assert message["Message-ID"].endswith("@example.org>")
    assert message["Date"] == "Thu, 10 Jan 2030 12:00:00 +0000"
    assert message.get_content_type() == "text/plain"
    assert message.get_content().strip() == "Away until Monday."


def test_vacation_subject_and_both_bodies() -> None:
    message = reply(
        {
            "subject": "Out of\r\nBcc: evil@example.com",
            "textBody": "Away.",
            "htmlBody": "<b>Away</b>",
        }
    )
    assert message["Subject"] == "Out of Bcc: evil@example.com"
    assert message["Bcc"] is None
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    assert text.get_content().strip() == "Away."
    assert html.get_content().strip() == "<b>Away</b>"


def test_text_from_html_and_a_default_body() -> None:
    message = reply({"textBody": None, "htmlBody": "<p>Away &amp; offline</p>"})
    text = message.get_body(("plain",))
    assert text is not None and text.get_content().strip() == "Away & offline"
    plain = reply({"textBody": None, "htmlBody": None})
    assert plain.get_content_type() == "text/plain"
    assert "away" in plain.get_content()


def test_no_message_id_means_no_threading_fields() -> None:
    original = b"Return-Path: <bob@example.net>\r\nFrom: bob@example.net\r\n\r\nHi\r\n"
    message = reply({"subject": None, "textBody": "x"}, original)
    assert message["In-Reply-To"] is None and message["References"] is None
    assert message["Subject"] == "Auto: (no subject)"


def test_non_ascii_subjects_survive() -> None:
    for subject in (b"=?utf-8?q?Caf=C3=A9?= au lait", "Café au lait".encode()):
        original = b"Return-Path: <bob@example.net>\r\nSubject: " + subject + b"\r\n\r\nHi\r\n"
        message = reply({"subject": None, "textBody": "x"}, original)
        assert message["Subject"] == "Auto: Café au lait"
