"""CONTRACT STUB (owned by the MIME engineer; replace the bodies, keep the signatures).

An offset-preserving MIME parser (DESIGN.md "MIME"): it splits RFC 5322 / MIME messages into
parts without copying bodies, keeping the byte offsets of every header block and body so that part
blobIds and raw headers are slices of the stored message. It never raises on any input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Header:
    name: str  # as in the message, case kept
    raw: str  # the raw value after the colon, unfolded NOT applied, decoded as latin-1/utf-8
    start: int  # offset of the header line in the message
    end: int


@dataclass(slots=True)
class Part:
    """One MIME part. `part_id` is unique within the message ("1", "2", ... in DFS order, for
    every part, multipart ones included); `body_start`/`body_end` delimit the encoded body."""

    part_id: str
    headers: list[Header]
    header_start: int
    header_end: int
    body_start: int
    body_end: int
    type: str  # lowercased "text/plain"; default per RFC 2045/2046
    charset: str | None
    disposition: str | None
    name: str | None  # RFC 2231 / RFC 2047 decoded filename or name
    cid: str | None
    language: list[str] | None
    location: str | None
    transfer_encoding: str | None
    sub_parts: list[Part] = field(default_factory=list)


@dataclass(slots=True)
class Message:
    raw_size: int
    root: Part


def parse_message(raw: bytes) -> Message:
    raise NotImplementedError


def summarize(raw: bytes, message: Message) -> dict[str, Any]:
    """What Satchel stores of an Email at ingest, so /get and /query never re-parse (RFC 8621
    section 4.1): the JSON-ready values of messageId, inReplyTo, references, sender, from, to, cc,
    bcc, replyTo, subject, sentAt, hasAttachment, preview, bodyStructure (with partIds and part
    blobIds left for the caller to prefix: each part has "partId"), textBody, htmlBody,
    attachments (lists of EmailBodyPart objects), plus "searchText": {"from", "to", "cc", "bcc",
    "subject", "body", "attachmentNames"} plain strings for the full-text index."""
    raise NotImplementedError


def header_property(raw: bytes, headers: list[Header], form: str, name: str, all: bool) -> Any:
    """RFC 8621 section 4.1.2/4.1.3: the value of `header:{name}:{form}[:all]` where form is one
    of Raw, Text, Addresses, GroupedAddresses, MessageIds, Date, URLs."""
    raise NotImplementedError


def body_value(raw: bytes, part: Part, max_bytes: int) -> dict[str, Any]:
    """RFC 8621 section 4.1.4 EmailBodyValue: {"value", "isEncodingProblem", "isTruncated"} of a
    text part, decoded from its transfer encoding and charset; truncated to `max_bytes` UTF-8
    bytes (0 = no limit) without splitting a character."""
    raise NotImplementedError


def decoded_part(raw: bytes, part: Part) -> bytes:
    """The part's content with its transfer encoding removed (what a part blobId downloads)."""
    raise NotImplementedError


def find_part(message: Message, part_id: str) -> Part | None:
    raise NotImplementedError
