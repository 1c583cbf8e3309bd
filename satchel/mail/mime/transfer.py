"""Content-Transfer-Encoding (RFC 2045 section 6): undo base64 and quoted-printable, leniently.

Broken input still decodes (stray characters skipped, missing padding supplied) and is reported,
so EmailBodyValue.isEncodingProblem can say so. Unknown encodings are identity (RFC 8621 section
4.1.4: "If the transfer encoding is unknown, it is treated as though it had no transfer
encoding").
"""

from __future__ import annotations

import binascii
import re

IDENTITY_ENCODINGS = frozenset({None, "", "7bit", "8bit", "binary"})
_B64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_B64_DELETE = bytes(b for b in range(256) if b not in _B64_ALPHABET + b"=")
_B64_EXPECTED = _B64_ALPHABET + b"= \t\r\n"  # anything else in a body is junk
_QP_SOFT_BREAK_SPACE = re.compile(rb"=[ \t]+(\r?\n)")
_QP_BAD_ESCAPE = re.compile(rb"=(?![0-9A-Fa-f]{2}|\r?\n|$)")


def decode_base64(data: bytes) -> tuple[bytes, bool]:
    """Decode base64 skipping anything outside the alphabet; (octets, was_malformed).

    Padding ends a run; text after it is decoded as a further run (mailers that concatenate
    encoded blocks exist), so no sextets are shifted across a pad."""
    clean = data.translate(None, _B64_DELETE)
    malformed = bool(data.translate(None, _B64_EXPECTED))
    out: list[bytes] = []
    for run in clean.split(b"=") if b"=" in clean else (clean,):
        if len(run) % 4 == 1:
            run = run[:-1]
            malformed = True
        if run:
            out.append(binascii.a2b_base64(run + b"=" * (-len(run) % 4)))
    return b"".join(out), malformed


def base64_decoded_size(data: bytes) -> int:
    """len(decode_base64(data)[0]) without decoding: each run of sextets gives 3 octets per
    4, plus 1 or 2 for a tail of 2 or 3 (a tail of 1 is dropped)."""
    clean = data.translate(None, _B64_DELETE)
    size = 0
    for run in clean.split(b"=") if b"=" in clean else (clean,):
        size += len(run) // 4 * 3 + (0, 0, 1, 2)[len(run) % 4]
    return size


def decoded_size(data: bytes, encoding: str | None) -> int:
    """The size of the decoded body (RFC 8621 EmailBodyPart.size)."""
    if encoding == "base64":
        return base64_decoded_size(data)
    if encoding == "quoted-printable":
        return len(decode_quoted_printable(data)[0])
    return len(data)


def decode_quoted_printable(data: bytes) -> tuple[bytes, bool]:
    """RFC 2045 section 6.7; an "=" not followed by two hex digits or a line end stays as it
    is (rule 1 leniency) and marks the part as malformed."""
    if b"=" in data and (b"= " in data or b"=\t" in data):
        data = _QP_SOFT_BREAK_SPACE.sub(rb"=\1", data)  # soft break with trailing space
    decoded = binascii.a2b_qp(data)
    malformed = False
    if b"=" in decoded:
        malformed = _QP_BAD_ESCAPE.search(data) is not None
    return decoded, malformed


def decode_transfer(data: bytes, encoding: str | None) -> tuple[bytes, bool]:
    """(decoded octets, was_malformed_or_unknown) for a part body."""
    if encoding == "base64":
        return decode_base64(data)
    if encoding == "quoted-printable":
        return decode_quoted_printable(data)
    if encoding in IDENTITY_ENCODINGS:
        return data, False
    # Unknown encodings (x-uuencode, garbage): the octets as they are, flagged.
    return data, True
