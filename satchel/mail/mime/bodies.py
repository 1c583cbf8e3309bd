"""Body content: transfer- and charset-decoded part values (RFC 8621 section 4.1.4
EmailBodyValue), the textBody/htmlBody/attachments decomposition (the section 4.1.4 algorithm,
ported as given), and plain text for previews and the full-text index.
"""

from __future__ import annotations

import html
import re
from typing import Any

from satchel.mail.mime.charsets import decode_text
from satchel.mail.mime.structure import Part
from satchel.mail.mime.transfer import decode_transfer

_INLINE_BODY_TYPES = ("text/plain", "text/html")


def decoded_part(raw: bytes, part: Part) -> bytes:
    """The part's content with its transfer encoding removed (what a part blobId downloads)."""
    return decode_transfer(raw[part.body_start : part.body_end], part.transfer_encoding)[0]


def part_text(raw: bytes, part: Part) -> tuple[str, bool]:
    """A part's content as text with CRLF -> LF; (text, is_encoding_problem)."""
    data, bad_transfer = decode_transfer(
        raw[part.body_start : part.body_end], part.transfer_encoding
    )
    text, bad_charset = decode_text(data, part.charset)
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    return text, bad_transfer or bad_charset


def body_value(raw: bytes, part: Part, max_bytes: int) -> dict[str, Any]:
    """RFC 8621 section 4.1.4 EmailBodyValue: {"value", "isEncodingProblem", "isTruncated"} of a
    text part, decoded from its transfer encoding and charset; truncated to `max_bytes` UTF-8
    bytes (0 = no limit) without splitting a character."""
    text, problem = part_text(raw, part)
    truncated = False
    if max_bytes > 0 and len(text) > max_bytes // 4:
        encoded = text.encode("utf-8")
        if len(encoded) > max_bytes:
            # Cutting mid-character leaves an incomplete tail that "ignore" drops.
            text = encoded[:max_bytes].decode("utf-8", "ignore")
            truncated = True
    return {"value": text, "isEncodingProblem": problem, "isTruncated": truncated}


def _is_inline_media(media_type: str) -> bool:
    return media_type.startswith(("image/", "audio/", "video/"))


def body_lists(root: Part) -> tuple[list[Part], list[Part], list[Part]]:
    """RFC 8621 section 4.1.4: (textBody, htmlBody, attachments) by the RFC's own algorithm."""
    text_body: list[Part] = []
    html_body: list[Part] = []
    attachments: list[Part] = []
    _parse_structure([root], "mixed", False, html_body, text_body, attachments)
    return text_body, html_body, attachments


def _parse_structure(
    parts: list[Part],
    multipart_type: str,
    in_alternative: bool,
    html_body: list[Part] | None,
    text_body: list[Part] | None,
    attachments: list[Part],
) -> None:
    """A line-by-line port of the RFC's parseStructure (its JavaScript, in section 4.1.4)."""
    # For multipartType == alternative
    text_length = len(text_body) if text_body is not None else -1
    html_length = len(html_body) if html_body is not None else -1

    for i, part in enumerate(parts):
        is_multipart = part.type.startswith("multipart/")
        # Is this a body part rather than an attachment
        is_inline = (
            part.disposition != "attachment"
            # Must be one of the allowed body types
            and (part.type in _INLINE_BODY_TYPES or _is_inline_media(part.type))
            # If multipart/related, only the first part can be inline
            # If a text part with a filename, and not the first item
            # in the multipart, assume it is an attachment
            and (
                i == 0
                or (multipart_type != "related" and (_is_inline_media(part.type) or not part.name))
            )
        )

        if is_multipart:
            sub_multi_type = part.type.split("/", 1)[1]
            _parse_structure(
                part.sub_parts,
                sub_multi_type,
                in_alternative or sub_multi_type == "alternative",
                html_body,
                text_body,
                attachments,
            )
        elif is_inline:
            if multipart_type == "alternative":
                if part.type == "text/plain":
                    if text_body is not None:
                        text_body.append(part)
                elif part.type == "text/html":
                    if html_body is not None:
                        html_body.append(part)
                else:
                    attachments.append(part)
                continue
            elif in_alternative:
                if part.type == "text/plain":
                    html_body = None
                if part.type == "text/html":
                    text_body = None
            if text_body is not None:
                text_body.append(part)
            if html_body is not None:
                html_body.append(part)
            if (text_body is None or html_body is None) and _is_inline_media(part.type):
                attachments.append(part)
        else:
            attachments.append(part)

    if multipart_type == "alternative" and text_body is not None and html_body is not None:
        # Found HTML part only
        if text_length == len(text_body) and html_length != len(html_body):
            text_body.extend(html_body[html_length:])
        # Found plaintext part only
        if html_length == len(html_body) and text_length != len(text_body):
            html_body.extend(text_body[text_length:])


# -- plain text from HTML, for previews and search ---------------------------------------------

# Raw-text elements and comments go whole; an unclosed one runs to the end (linear, no
# backtracking across the document).
_HTML_DROP = re.compile(
    r"<!--.*?(?:-->|\Z)|<(script|style|head|title)\b.*?(?:</\1\s*>|\Z)", re.S | re.I
)
# Possessive quantifiers: a "<" never closed costs one scan, not a backtracking search.
_HTML_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*+)?[^<>]*+>")
_BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    ]
)


def _tag_replacement(m: re.Match[str]) -> str:
    name = (m.group(2) or "").lower()
    return " " if name in _BLOCK_TAGS else ""


def html_to_text(markup: str) -> str:
    """Visible text of an HTML document, roughly: no tags, comments, scripts or styles;
    entities decoded; block elements separated by white space."""
    text = _HTML_DROP.sub(" ", markup)
    text = _HTML_TAG.sub(_tag_replacement, text)
    return html.unescape(text)


# alt and title: text the reader is shown (in place of an image, as a tooltip) though it is not
# in the document's text. A name must follow white space inside the tag (not "data-alt").
_PRESENTED = re.compile(r"\s(?:alt|title)\s*+=", re.I)
_PRESENTED_VALUE = re.compile(
    r"""\s(?:alt|title)\s*+=\s*+(?:"([^"]*+)"|'([^']*+)'|([^\s"'=<>`]++))""", re.I
)


def html_presented_attributes(markup: str) -> str:
    """The alt and title attributes' text, for search only: RFC 8621 section 4.4.1 says it
    SHOULD be considered there, while the preview keeps to the document's text."""
    if _PRESENTED.search(markup) is None:
        return ""
    values: list[str] = []
    for tag in _HTML_TAG.finditer(_HTML_DROP.sub(" ", markup)):
        for m in _PRESENTED_VALUE.finditer(tag.group(0)):
            value = m.group(1) if m.group(1) is not None else m.group(2) or m.group(3) or ""
            if value.strip():
                values.append(html.unescape(value))
    return " ".join(values)


def collapse_whitespace(text: str) -> str:
    return " ".join(text.split())
