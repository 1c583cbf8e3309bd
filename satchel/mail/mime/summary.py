"""What Satchel stores of an Email at ingest (RFC 8621 section 4.1), as JSON-ready values, so
Email/get and Email/query never re-parse the message.
"""

from __future__ import annotations

import re
from typing import Any, Final

from satchel.mail.mime.bodies import (
    body_lists,
    collapse_whitespace,
    html_presented_attributes,
    html_to_text,
    part_text,
)
from satchel.mail.mime.charsets import decode_words, unfold
from satchel.mail.mime.headers import header_property
from satchel.mail.mime.structure import Message, Part
from satchel.mail.mime.transfer import decoded_size

_QUOTED_LINE = re.compile(r"^[ \t]*>.*\n?", re.M)
PREVIEW_CHARS = 256  # RFC 8621 section 4.1.4: preview MUST NOT be more than 256 characters
SEARCH_BODY_CHARS = 1_000_000  # body text kept for the full-text index, per message

# (property, header field, form) of RFC 8621 section 4.1.3's convenience properties.
_CONVENIENCE = (
    ("messageId", "Message-ID", "MessageIds"),
    ("inReplyTo", "In-Reply-To", "MessageIds"),
    ("references", "References", "MessageIds"),
    ("sender", "Sender", "Addresses"),
    ("from", "From", "Addresses"),
    ("to", "To", "Addresses"),
    ("cc", "Cc", "Addresses"),
    ("bcc", "Bcc", "Addresses"),
    ("replyTo", "Reply-To", "Addresses"),
    ("subject", "Subject", "Text"),
    ("sentAt", "Date", "Date"),
)


def summarize(raw: bytes, message: Message, blob_id: str) -> dict[str, Any]:
    """The JSON-ready values of messageId, inReplyTo, references, sender, from, to, cc, bcc,
    replyTo, subject, sentAt (a Date keeping the header's offset), headers, size,
    hasAttachment, preview, bodyStructure, textBody, htmlBody and attachments (EmailBodyPart
    objects; a non-multipart part's blobId is f"{blob_id}P{partId}"), plus "searchText":
    {"from", "to", "cc", "bcc", "subject", "body", "attachmentNames"} plain strings for the
    full-text index.

    textBody/htmlBody/attachments hold the same dict objects as bodyStructure: copy before
    changing one."""
    root = message.root
    headers = root.headers
    summary: dict[str, Any] = {
        prop: header_property(raw, headers, form, name, False) for prop, name, form in _CONVENIENCE
    }
    summary["headers"] = [{"name": h.name, "value": h.raw} for h in headers]
    summary["size"] = message.raw_size

    objects: dict[int, dict[str, Any]] = {}
    summary["bodyStructure"] = _body_part(raw, root, blob_id, objects)
    text_body, html_body, attachments = body_lists(root)
    summary["textBody"] = [objects[id(p)] for p in text_body]
    summary["htmlBody"] = [objects[id(p)] for p in html_body]
    summary["attachments"] = [objects[id(p)] for p in attachments]
    # RFC 8621 section 4.1.4: hasAttachment when an attachment is not Content-Disposition inline.
    summary["hasAttachment"] = any(p.disposition != "inline" for p in attachments)

    body, presented = _body_text(raw, text_body or html_body)
    summary["preview"] = _preview(body)
    summary["searchText"] = {
        "from": _address_text(summary["from"]),
        "to": _address_text(summary["to"]),
        "cc": _address_text(summary["cc"]),
        "bcc": _address_text(summary["bcc"]),
        "subject": summary["subject"] or "",
        "body": _search_body(raw, body, presented, attachments),
        "attachmentNames": "\n".join(p.name for p in attachments if p.name),
    }
    return summary


def _body_part(
    raw: bytes, part: Part, blob_id: str, objects: dict[int, dict[str, Any]]
) -> dict[str, Any]:
    """RFC 8621 section 4.1.4 EmailBodyPart, every property; subParts only for multipart."""
    multipart = part.is_multipart
    if multipart:
        size = part.body_end - part.body_start
    else:
        size = decoded_size(raw[part.body_start : part.body_end], part.transfer_encoding)
    sub_parts = [_body_part(raw, sub, blob_id, objects) for sub in part.sub_parts]
    obj: dict[str, Any] = {
        "partId": None if multipart else part.part_id,
        "blobId": None if multipart else f"{blob_id}P{part.part_id}",
        "size": size,
        "headers": [{"name": h.name, "value": h.raw} for h in part.headers],
        "name": part.name,
        "type": part.type,
        "charset": part.charset,
        "disposition": part.disposition,
        "cid": part.cid,
        "language": part.language,
        "location": part.location,
        "subParts": sub_parts if multipart else None,
    }
    objects[id(part)] = obj
    return obj


def _body_text(raw: bytes, parts: list[Part]) -> tuple[str, str]:
    """Plain text of the body's text parts (HTML without its markup), for preview and search,
    and the alt and title text of its HTML parts, for search only."""
    pieces: list[str] = []
    presented: list[str] = []
    total = 0
    for part in parts:
        if part.type == "text/plain":
            text = part_text(raw, part)[0]
        elif part.type == "text/html":
            markup = part_text(raw, part)[0]
            text = html_to_text(markup)
            presented.append(html_presented_attributes(markup))
        else:
            continue
        pieces.append(text)
        total += len(text)
        if total >= SEARCH_BODY_CHARS:
            break
    return "\n".join(pieces)[:SEARCH_BODY_CHARS], " ".join(p for p in presented if p)


# Text formats whose source is mostly markup a reader never sees: not searched as attachments.
_MARKUP_TEXT: Final = frozenset(["text/rtf", "text/enriched", "text/richtext"])
# Headers of an attached message that are searched with its text.
_FORWARDED_HEADERS: Final = frozenset(["subject", "from", "to", "cc"])


def _search_body(raw: bytes, body: str, presented: str, attachments: list[Part]) -> str:
    """What the `body` and `text` filters search: the body's text, its HTML's alt and title
    text, then attached text/* parts and attached messages (headers and text), which RFC 8621
    section 4.4.1 says `text` SHOULD look inside; SEARCH_BODY_CHARS in all."""
    pieces = [body, presented] if presented else [body]
    total = len(body) + len(presented)
    for part in attachments:
        if total >= SEARCH_BODY_CHARS:
            break
        text = _attachment_text(raw, part)
        if text:
            pieces.append(text)
            total += len(text)
    return "\n".join(pieces)[:SEARCH_BODY_CHARS]


def _attachment_text(raw: bytes, part: Part) -> str:
    if part.type.startswith("text/") and part.type not in _MARKUP_TEXT:
        if part.type != "text/html":
            return part_text(raw, part)[0]
        markup = part_text(raw, part)[0]
        return html_to_text(markup) + " " + html_presented_attributes(markup)
    if part.type in ("message/rfc822", "message/global") and part.sub_parts:
        # An attached message: the parser has its root as the single sub-part. Only its own
        # text, not its attachments: one level, so a nest of forwards costs no more.
        root = part.sub_parts[0]
        headers = [
            decode_words(unfold(h.raw).strip())
            for h in root.headers
            if h.name.lower() in _FORWARDED_HEADERS
        ]
        text_body, html_body, _ = body_lists(root)
        text, presented = _body_text(raw, text_body or html_body)
        return "\n".join(piece for piece in [*headers, text, presented] if piece)
    return ""


def _preview(body: str) -> str:
    """RFC 8621 section 4.1.4 preview: at most 256 characters of the body, white space
    collapsed, quoted lines ("> ...") of a reply skipped unless nothing else is left."""
    head = body[: PREVIEW_CHARS * 16]
    text = collapse_whitespace(_QUOTED_LINE.sub("", head)) or collapse_whitespace(head)
    return text[:PREVIEW_CHARS]


def _address_text(addresses: list[dict[str, Any]] | None) -> str:
    if not addresses:
        return ""
    return "\n".join(
        f"{a['name']} {a['email']}" if a["name"] else str(a["email"]) for a in addresses
    )
