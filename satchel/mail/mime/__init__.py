"""The MIME parser and Email property extraction (RFC 5322, MIME, RFC 8621 section 4.1).

An offset-preserving MIME parser (DESIGN.md "MIME"): it splits RFC 5322 / MIME messages into
parts without copying bodies, keeping the byte offsets of every header block and body so that part
blobIds and raw headers are slices of the stored message. It never raises on any input.

    structure  the splitter: Header, Part, Message, parse_message, find_part
    headers    RFC 8621 section 4.1.2 header forms and header:{name}:as{Form}[:all]
    bodies     bodyValues, decoded part content, the textBody/htmlBody/attachments algorithm
    summary    the stored Email properties of one message
    params     Content-Type / Content-Disposition parameters, RFC 2231
    charsets   charset decoding and RFC 2047 encoded words
    transfer   base64 and quoted-printable
"""

from satchel.mail.mime.bodies import body_lists, body_value, decoded_part
from satchel.mail.mime.charsets import decode_words
from satchel.mail.mime.headers import (
    FORMS,
    addresses,
    form_allowed,
    grouped_addresses,
    header_property,
    message_ids,
    parse_date,
)
from satchel.mail.mime.structure import (
    MAX_DEPTH,
    MAX_PARTS,
    Header,
    Message,
    Part,
    find_part,
    iter_parts,
    parse_message,
)
from satchel.mail.mime.summary import summarize

__all__ = [
    "FORMS",
    "MAX_DEPTH",
    "MAX_PARTS",
    "Header",
    "Message",
    "Part",
    "addresses",
    "body_lists",
    "body_value",
    "decode_words",
    "decoded_part",
    "find_part",
    "form_allowed",
    "grouped_addresses",
    "header_property",
    "iter_parts",
    "message_ids",
    "parse_date",
    "parse_message",
    "summarize",
]
