"""The offset-preserving MIME splitter (DESIGN.md "MIME"): RFC 5322 header blocks and RFC 2046
multipart bodies become a tree of `Part`s holding byte offsets into the message, never copies.

It never raises and does linear work per nesting level: boundaries are found with `bytes.find`,
header lines are read once. Nesting deeper than `MAX_DEPTH` and parts beyond `MAX_PARTS` are
not split further (the part stays a leaf), so absurd input costs bounded time and memory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from satchel.mail.mime.charsets import decode_utf8_header, unfold
from satchel.mail.mime.params import parse_structured, strip_comments
from satchel.mail.mime.transfer import IDENTITY_ENCODINGS

MAX_DEPTH = 48
MAX_PARTS = 20_000

_FIELD_NAME = re.compile(rb"[!-9;-~\x80-\xff]+")
_MEDIA_TYPE = re.compile(r"[a-z0-9!#$&^_.+\-]+/[a-z0-9!#$&^_.+\-]+")
# RFC 2046 section 5.1.1: after the boundary (and "--" if closing) only transport padding.
_DELIMITER_TAIL = re.compile(rb"[ \t\r]*(?:\n|\Z)")
_FROM_FIELD = re.compile(rb"From[ \t]*:")
_LF = 0x0A
_CR = 0x0D


@dataclass(slots=True)
class Header:
    name: str  # as in the message, case kept
    raw: str  # RFC 8621 Raw form: octets after the colon up to (excluding) the final line break
    start: int  # offset of the header line in the message
    end: int  # offset just past the header's last line break


@dataclass(slots=True)
class Part:
    """One MIME part. `part_id` is unique within the message ("1", "2", ... in DFS order, for
    every part, multipart ones included); `body_start`/`body_end` delimit the encoded body.

    `header_end` is the end of the last header line (the blank separator line, when present,
    lies between it and `body_start`). A multipart part's `sub_parts` are its body parts; a
    message/rfc822 (or message/global) part with an identity transfer encoding has the root of
    the attached message as its single sub-part (RFC 8621 bodyStructure does not show it)."""

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

    @property
    def is_multipart(self) -> bool:
        return self.type.startswith("multipart/")


@dataclass(slots=True)
class Message:
    raw_size: int
    root: Part


def parse_message(raw: bytes) -> Message:
    """Split a message into its part tree. Any octets give a Message; nothing raises."""
    parser = _Parser(raw)
    root = parser.entity(0, len(raw), 0, "text/plain")
    return Message(raw_size=len(raw), root=root)


def find_part(message: Message, part_id: str) -> Part | None:
    """The part with this id, attached messages' parts included; None if there is none."""
    stack = [message.root]
    while stack:
        part = stack.pop()
        if part.part_id == part_id:
            return part
        stack.extend(part.sub_parts)
    return None


def iter_parts(part: Part) -> list[Part]:
    """Every part of a tree in DFS pre-order (part id order), iteratively."""
    out: list[Part] = []
    stack = [part]
    while stack:
        current = stack.pop()
        out.append(current)
        stack.extend(reversed(current.sub_parts))
    return out


def parse_headers(raw: bytes, start: int, end: int) -> tuple[list[Header], int, int]:
    """RFC 5322 section 2.2 header block in raw[start:end] -> (headers, header_end, body_start).

    The block ends at the first empty line, or (for malformed messages without one) at the
    first line that is neither a header field nor a folded continuation."""
    headers: list[Header] = []
    pos = start
    if start == 0 and raw.startswith(b"From ") and not _FROM_FIELD.match(raw):
        # An mbox separator line ("From sender date") is not a header field.
        nl = raw.find(b"\n", 0, end)
        pos = end if nl < 0 else nl + 1
    name = ""
    value_start = -1
    field_start = -1
    field_end = -1

    def flush() -> None:
        if value_start >= 0:
            value_end = field_end
            if value_end > value_start and raw[value_end - 1] == _LF:
                value_end -= 1
                if value_end > value_start and raw[value_end - 1] == _CR:
                    value_end -= 1
            value = decode_utf8_header(raw[value_start:value_end])
            headers.append(Header(name, value, field_start, field_end))

    while pos < end:
        nl = raw.find(b"\n", pos, end)
        line_end = end if nl < 0 else nl + 1
        content_end = end if nl < 0 else nl
        if content_end > pos and raw[content_end - 1] == _CR:
            content_end -= 1
        if content_end == pos:  # the blank line between header and body
            flush()
            return headers, pos, line_end
        first = raw[pos]
        if first in (0x20, 0x09):
            if value_start < 0:
                break
            field_end = line_end  # a folded continuation line
            pos = line_end
            continue
        colon = raw.find(b":", pos, content_end)
        if colon < 0:
            break
        name_bytes = raw[pos:colon].rstrip(b" \t")
        if not _FIELD_NAME.fullmatch(name_bytes):
            break
        flush()
        name = decode_utf8_header(name_bytes)
        field_start = pos
        value_start = colon + 1
        field_end = line_end
        pos = line_end
    flush()
    return headers, pos, pos


class _Parser:
    __slots__ = ("count", "raw")

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self.count = 0

    def entity(self, start: int, end: int, depth: int, default_type: str) -> Part:
        headers, header_end, body_start = parse_headers(self.raw, start, end)
        self.count += 1
        part, params = _describe(
            str(self.count), headers, start, header_end, body_start, end, default_type
        )
        if depth >= MAX_DEPTH or self.count >= MAX_PARTS:
            return part
        if part.is_multipart:
            self._split_multipart(part, params.get("boundary"), depth)
        elif (
            part.type in ("message/rfc822", "message/global")
            and part.transfer_encoding in IDENTITY_ENCODINGS
            and body_start < end
        ):
            part.sub_parts.append(self.entity(body_start, end, depth + 1, "text/plain"))
        return part

    def _split_multipart(self, part: Part, boundary_param: str | None, depth: int) -> None:
        # Boundaries are 7-bit (RFC 2046); trailing white space is not part of one.
        boundary = (boundary_param or "").rstrip(" \t").encode("utf-8", "replace")
        ranges = self._body_ranges(part, boundary) if boundary else None
        if not ranges:
            # RFC 2046 requires a boundary; without one (or without a single delimiter line)
            # the body is shown as text rather than lost.
            part.type = "text/plain"
            part.charset = part.charset or "us-ascii"
            return
        child_default = "message/rfc822" if part.type == "multipart/digest" else "text/plain"
        for child_start, child_end in ranges:
            if self.count >= MAX_PARTS:
                break
            part.sub_parts.append(self.entity(child_start, child_end, depth + 1, child_default))

    def _body_ranges(self, part: Part, boundary: bytes) -> list[tuple[int, int]]:
        """RFC 2046 section 5.1.1: the body parts between delimiter lines. The line break
        before a delimiter belongs to the delimiter; a missing close delimiter ends the last
        part at the end of the enclosing body; preamble and epilogue are skipped."""
        raw = self.raw
        start, end = part.body_start, part.body_end
        delimiter = b"--" + boundary
        ranges: list[tuple[int, int]] = []
        current = -1  # start of the part being read, -1 while in the preamble
        pos = start
        while pos < end:
            i = raw.find(delimiter, pos, end)
            if i < 0:
                break
            if i != start and raw[i - 1] != _LF:
                pos = i + 1
                continue
            j = i + len(delimiter)
            closing = raw.startswith(b"--", j, end)
            tail = _DELIMITER_TAIL.match(raw, j + 2 if closing else j, end)
            if tail is None:
                pos = i + 1
                continue
            if current >= 0:
                ranges.append((current, max(current, _before_line_break(raw, i, current))))
            if closing:
                return ranges
            current = tail.end()
            pos = current
        if current >= 0:
            ranges.append((current, end))
        return ranges


def _before_line_break(raw: bytes, i: int, floor: int) -> int:
    if i > floor and raw[i - 1] == _LF:
        i -= 1
        if i > floor and raw[i - 1] == _CR:
            i -= 1
    return i


def _first(headers: list[Header], lowered_name: str) -> Header | None:
    for header in headers:
        if len(header.name) == len(lowered_name) and header.name.lower() == lowered_name:
            return header
    return None


def _describe(
    part_id: str,
    headers: list[Header],
    header_start: int,
    header_end: int,
    body_start: int,
    body_end: int,
    default_type: str,
) -> tuple[Part, dict[str, str]]:
    """A part's RFC 8621 section 4.1.4 properties from its Content-* header fields, and its
    Content-Type parameters."""
    media_type = default_type
    params: dict[str, str] = {}
    content_type = _first(headers, "content-type")
    if content_type is not None:
        parsed, params = parse_structured(content_type.raw)
        if _MEDIA_TYPE.fullmatch(parsed):
            media_type = parsed
        else:
            media_type, params = "text/plain", {}
    charset = params.get("charset") or None
    if charset is None and media_type.startswith("text/"):
        charset = "us-ascii"  # RFC 2045 section 5.2 / RFC 2046 section 4.1.2
    disposition = None
    filename = None
    content_disposition = _first(headers, "content-disposition")
    if content_disposition is not None:
        value, disposition_params = parse_structured(content_disposition.raw)
        disposition = value or None
        filename = disposition_params.get("filename") or None
    if filename is None:
        filename = params.get("name") or None
    cid = _angle_stripped(_first(headers, "content-id"))
    language = None
    content_language = _first(headers, "content-language")
    if content_language is not None:
        tags = [t.strip() for t in strip_comments(unfold(content_language.raw)).split(",")]
        language = [t for t in tags if t] or None
    location = None
    content_location = _first(headers, "content-location")
    if content_location is not None:
        location = "".join(strip_comments(unfold(content_location.raw)).split()) or None
    encoding = None
    transfer = _first(headers, "content-transfer-encoding")
    if transfer is not None:
        encoding = "".join(strip_comments(unfold(transfer.raw)).split()).lower() or None
    part = Part(
        part_id=part_id,
        headers=headers,
        header_start=header_start,
        header_end=header_end,
        body_start=body_start,
        body_end=max(body_start, body_end),
        type=media_type,
        charset=charset,
        disposition=disposition,
        name=filename,
        cid=cid,
        language=language,
        location=location,
        transfer_encoding=encoding,
    )
    return part, params


def _angle_stripped(header: Header | None) -> str | None:
    """RFC 8621 section 4.1.4 cid: CFWS and surrounding angle brackets removed."""
    if header is None:
        return None
    value = "".join(strip_comments(unfold(header.raw)).split())
    if value.startswith("<"):
        value = value[1:]
    if value.endswith(">"):
        value = value[:-1]
    return value or None
