"""The RFC 3834 decision, rule by rule, on real header blocks: who gets no vacation reply, and
when a VacationResponse is in effect."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from satchel.mail.vacation_rules import in_effect, read_original, skip_reason

OWN = {"alice@example.org", "sales@example.org"}


def is_own(address: str) -> bool:
    return address.lower() in OWN


def raw(
    *extra: str,
    return_path: str | None = "<bob@example.net>",
    sender: str = "Bob <bob@example.net>",
    to: str = "Alice <alice@example.org>",
) -> bytes:
    lines = []
    if return_path is not None:
        lines.append(f"Return-Path: {return_path}")
    lines += [
        "Delivered-To: alice@example.org",
        f"From: {sender}",
        f"To: {to}",
        "Subject: =?utf-8?q?Caf=C3=A9?= plans",
        "Message-ID: <m1@example.net>",
        *extra,
    ]
    return ("\r\n".join(lines) + "\r\n\r\nBody\r\n").encode()


def reason(message: bytes) -> str | None:
    return skip_reason(read_original(message), is_own)


def test_a_personal_message_gets_a_reply() -> None:
    assert reason(raw()) is None
    assert reason(raw("Auto-Submitted: no")) is None
    assert reason(raw("Precedence: first-class")) is None
    assert reason(raw("Cc: SALES@example.org", to="team@example.net")) is None
    assert reason(raw("Resent-To: alice@example.org", to="team@example.net")) is None


def test_the_original_is_read() -> None:
    original = read_original(
        raw("In-Reply-To: <p@x>", "References: <r1@x>\r\n <p@x>", "X-Other: 1")
    )
    assert original.envelope_sender == "bob@example.net"
    assert original.subject == "Café plans"
    assert original.message_id == "m1@example.net"
    assert original.references == ("r1@x", "p@x")
    assert original.in_reply_to == ("p@x",)
    assert original.recipients == ("alice@example.org",)


@pytest.mark.parametrize(
    ("message", "why"),
    [
        (raw(return_path=None), "no Return-Path"),
        (raw(return_path="<>"), "null envelope sender"),
        (raw(return_path="<MAILER-DAEMON@example.net>"), "automated sender"),
        (raw(return_path="<owner-list@example.net>"), "automated sender"),
        (raw(return_path="<list-request@example.net>"), "automated sender"),
        (raw(return_path="<LISTSERV@example.net>"), "automated sender"),
        (raw(return_path="<no-reply@example.net>"), "automated sender"),
        (raw("Auto-Submitted: auto-replied"), "Auto-Submitted"),
        (raw("Auto-Submitted: Auto-Generated (nightly)"), "Auto-Submitted"),
        (raw("Auto-Submitted: auto-notified; owner-email=x@y"), "Auto-Submitted"),
        (raw("Precedence: bulk"), "Precedence"),
        (raw("Precedence: List"), "Precedence"),
        (raw("Precedence: junk"), "Precedence"),
        (raw("List-Id: <team.example.net>"), "mailing list"),
        (raw("List-Unsubscribe: <mailto:u@example.net>"), "mailing list"),
        (raw(return_path="<Alice@Example.org>"), "sent by the user"),
        (raw(sender="alice@example.org"), "sent by the user"),
        (raw(to="team@example.net"), "not named"),
    ],
)
def test_no_reply(message: bytes, why: str) -> None:
    found = reason(message)
    assert found is not None and why in found, found


NOW = datetime(2030, 1, 10, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("vacation", "expected"),
    [
        ({"isEnabled": False}, False),
        ({"isEnabled": True, "fromDate": None, "toDate": None}, True),
        ({"isEnabled": True, "fromDate": "2030-01-10T12:00:00Z", "toDate": None}, True),
        ({"isEnabled": True, "fromDate": "2030-01-10T12:00:01Z", "toDate": None}, False),
        ({"isEnabled": True, "fromDate": None, "toDate": "2030-01-10T12:00:00Z"}, False),
        ({"isEnabled": True, "fromDate": None, "toDate": "2030-01-10T12:00:00.5Z"}, True),
        (
            {
                "isEnabled": True,
                "fromDate": "2030-01-01T00:00:00Z",
                "toDate": "2030-02-01T00:00:00Z",
            },
            True,
        ),
        ({"isEnabled": False, "fromDate": "2030-01-01T00:00:00Z"}, False),
    ],
)
def test_in_effect(vacation: dict[str, object], expected: bool) -> None:
    assert in_effect(vacation, NOW) is expected
