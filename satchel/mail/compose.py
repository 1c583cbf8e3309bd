"""Email/set create -> RFC 5322 bytes (RFC 8621 section 4.6).

`check_create` validates an Email to create; `compose` writes the message with the standard
library's generator (RFC 2047 header encoding, base64/quoted-printable bodies, CRLF lines).
Bodies come from `bodyValues` (by partId) or from blobs (by blobId), read by the caller first.
A `bodyStructure` is accepted and flattened to its text part, HTML part and attachments."""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import SMTP
from typing import Any, Final

from satchel.core.datatype import IdResolver, IdSet, Invalid, UTCDate, is_id
from satchel.core.errors import SetError, invalid_properties
from satchel.mail.email import Keywords
from satchel.mail.email_record import unix_time
from satchel.mail.header_forms import parse_header_property

JsonObject = dict[str, Any]

_ADDRESS_FIELDS: Final = {
    "from": "From",
    "sender": "Sender",
    "to": "To",
    "cc": "Cc",
    "bcc": "Bcc",
    "replyTo": "Reply-To",
}
_ALLOWED: Final = frozenset(
    {
        *_ADDRESS_FIELDS,
        "mailboxIds",
        "keywords",
        "receivedAt",
        "subject",
        "sentAt",
        "messageId",
        "inReplyTo",
        "references",
        "bodyStructure",
        "bodyValues",
        "textBody",
        "htmlBody",
        "attachments",
    }
)
_PART_FIELDS: Final = frozenset(
    {
        "partId",
        "blobId",
        "type",
        "charset",
        "name",
        "disposition",
        "cid",
        "language",
        "location",
        "size",
        "subParts",
        "headers",
    }
)


@dataclass(slots=True)
class Draft:
    """A validated Email to create."""

    mailbox_ids: list[str]
    keywords: list[str]
    received_at: float | None
    headers: JsonObject
    text: str | None = None
    html: str | None = None
    attachments: list[JsonObject] = field(default_factory=list)
    extra_headers: list[tuple[str, str]] = field(default_factory=list)

    def blob_ids(self) -> list[str]:
        return list(dict.fromkeys(a["blobId"] for a in self.attachments))


def _addresses(value: Any) -> list[tuple[str, str]]:
    if not isinstance(value, list):
        raise Invalid("expected EmailAddress[]")
    out = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("email"), str):
            raise Invalid("an EmailAddress needs an email")
        name = item.get("name")
        if name is not None and not isinstance(name, str):
            raise Invalid("an EmailAddress name is a String")
        if any(c in item["email"] for c in "\r\n<>") or any(c in (name or "") for c in "\r\n"):
            raise Invalid("line breaks and angle brackets are not allowed")
        out.append((name or "", item["email"]))
    return out


def _message_ids(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Invalid("expected String[]")
    if any(not v or any(c in v for c in "<> \r\n") for v in value):
        raise Invalid("a message id has no angle brackets or white space")
    return list(value)


def _leaves(part: JsonObject, out: list[JsonObject], depth: int = 0) -> list[JsonObject]:
    if depth > 10:
        raise Invalid("bodyStructure is nested too deeply")
    sub = part.get("subParts")
    if isinstance(sub, list) and sub:
        for child in sub:
            if not isinstance(child, dict):
                raise Invalid("subParts holds EmailBodyPart objects")
            _leaves(child, out, depth + 1)
    else:
        out.append(part)
    return out


def _text_of(part: JsonObject, values: Mapping[str, Any], wanted: str) -> str:
    if part.get("type", wanted) != wanted or part.get("blobId") is not None:
        raise Invalid(f"must be one {wanted} part with a partId")
    value = values.get(str(part.get("partId")))
    if not isinstance(value, dict) or not isinstance(value.get("value"), str):
        raise Invalid("partId must name a bodyValues entry")
    if value.get("isTruncated") or value.get("isEncodingProblem"):
        raise Invalid("bodyValues must not be truncated or have encoding problems")
    return str(value["value"])


def _attachment(part: Any) -> JsonObject:
    if not isinstance(part, dict) or not is_id(part.get("blobId")):
        raise Invalid("an attachment needs a blobId")
    if set(part) - _PART_FIELDS:
        raise Invalid("unknown EmailBodyPart properties")
    media_type = part.get("type") or "application/octet-stream"
    if not isinstance(media_type, str) or media_type.count("/") != 1:
        raise Invalid("type must be a media type")
    for key in ("name", "disposition", "cid"):
        if part.get(key) is not None and not isinstance(part[key], str):
            raise Invalid(f"{key} must be a String")
    return {**part, "type": media_type.lower()}


def check_create(obj: Any, resolve: IdResolver) -> Draft:
    """Validate an Email to create (RFC 8621 section 4.6); SetError invalidProperties."""
    if not isinstance(obj, dict):
        raise invalid_properties("the Email to create must be an object")
    bad = sorted(
        k for k in obj if k not in _ALLOWED and obj[k] is not None and _extra_header(k) is None
    )
    draft = Draft(mailbox_ids=[], keywords=[], received_at=None, headers={})

    def field_(name: str, check: Any) -> None:
        if obj.get(name) is None:
            return
        try:
            check(obj[name])
        except Invalid:
            bad.append(name)

    with contextlib.suppress(Invalid):
        draft.mailbox_ids = list(IdSet(obj.get("mailboxIds"), resolve))
    if not draft.mailbox_ids:
        bad.append("mailboxIds")
    field_("keywords", lambda v: setattr(draft, "keywords", list(Keywords(v, resolve))))

    def received(value: Any) -> None:
        draft.received_at = unix_time(UTCDate(value, resolve))

    field_("receivedAt", received)
    for name in _ADDRESS_FIELDS:
        field_(name, lambda v, n=name: draft.headers.__setitem__(n, _addresses(v)))
    field_("subject", lambda v: draft.headers.__setitem__("subject", _string(v)))
    field_("sentAt", lambda v: draft.headers.__setitem__("sentAt", _date(v)))
    for name in ("messageId", "inReplyTo", "references"):
        field_(name, lambda v, n=name: draft.headers.__setitem__(n, _message_ids(v)))
    for key in obj:
        field_name = _extra_header(key)
        if field_name is not None:
            field_(key, lambda v, n=field_name: draft.extra_headers.append((n, _string(v).strip())))
    _bodies(obj, draft, bad)
    if bad:
        raise invalid_properties("invalid Email properties", *sorted(set(bad)))
    return draft


# Header fields a `header:` property may add; the ones above have their own properties.
_OWN_HEADERS: Final = frozenset(
    {
        "from",
        "sender",
        "to",
        "cc",
        "bcc",
        "reply-to",
        "subject",
        "date",
        "message-id",
        "in-reply-to",
        "references",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
    }
)


def _extra_header(key: str) -> str | None:
    """The field name of a `header:{name}[:asRaw|:asText]` property to create with, or None
    (RFC 8621 section 4.6: other forms and fields with their own property are refused)."""
    spec = parse_header_property(key) if key.startswith("header:") else None
    if spec is None or spec.all or spec.form not in ("Raw", "Text"):
        return None
    return None if spec.name.lower() in _OWN_HEADERS else spec.name


def _string(value: Any) -> str:
    if not isinstance(value, str) or "\r" in value or "\n" in value:
        raise Invalid("expected a single-line String")
    return value


def _date(value: Any) -> dt.datetime:
    if not isinstance(value, str):
        raise Invalid("expected a Date")
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Invalid("expected a Date") from None


def _bodies(obj: JsonObject, draft: Draft, bad: list[str]) -> None:
    values = obj.get("bodyValues") or {}
    if not isinstance(values, dict):
        bad.append("bodyValues")
        return
    structure = obj.get("bodyStructure")
    if structure is not None:
        # Section 4.6: bodyStructure excludes textBody, htmlBody and attachments.
        if any(obj.get(k) is not None for k in ("textBody", "htmlBody", "attachments")):
            bad.append("bodyStructure")
            return
        try:
            if not isinstance(structure, dict):
                raise Invalid("bodyStructure is an EmailBodyPart")
            for leaf in _leaves(structure, []):
                kind = leaf.get("type")
                is_text = kind in ("text/plain", None) and draft.text is None
                if leaf.get("partId") is not None and is_text:
                    draft.text = _text_of(leaf, values, "text/plain")
                    continue
                if leaf.get("partId") is not None and kind == "text/html" and draft.html is None:
                    draft.html = _text_of(leaf, values, "text/html")
                    continue
                draft.attachments.append(_attachment(leaf))
        except Invalid:
            bad.append("bodyStructure")
        return
    for name, wanted in (("textBody", "text/plain"), ("htmlBody", "text/html")):
        parts = obj.get(name)
        if parts is None:
            continue
        try:
            if not isinstance(parts, list) or len(parts) != 1 or not isinstance(parts[0], dict):
                raise Invalid(f"{name} holds exactly one part")
            text = _text_of(parts[0], values, wanted)
        except Invalid:
            bad.append(name)
            continue
        if name == "textBody":
            draft.text = text
        else:
            draft.html = text
    attachments = obj.get("attachments")
    if attachments is not None:
        try:
            if not isinstance(attachments, list):
                raise Invalid("attachments is an array")
            draft.attachments = [_attachment(p) for p in attachments]
        except Invalid:
            bad.append("attachments")


def missing_blobs(draft: Draft, blobs: Mapping[str, bytes | None]) -> None:
    """RFC 8621 section 4.6: blobNotFound with the ids that could not be read."""
    missing = [b for b in draft.blob_ids() if blobs.get(b) is None]
    if missing:
        raise SetError("blobNotFound", "attachment blobs not found", notFound=missing)


def compose(draft: Draft, blobs: Mapping[str, bytes | None], domain: str) -> bytes:
    """The RFC 5322 message of a validated draft."""
    msg = EmailMessage(policy=SMTP)
    headers = draft.headers
    for prop, name in _ADDRESS_FIELDS.items():
        if headers.get(prop):
            msg[name] = ", ".join(
                email.utils.formataddr(pair, charset="utf-8") for pair in headers[prop]
            )
    if headers.get("subject") is not None:
        msg["Subject"] = headers["subject"]
    sent = headers.get("sentAt") or dt.datetime.now(dt.UTC)
    msg["Date"] = email.utils.format_datetime(sent)
    ids = headers.get("messageId") or [f"{uuid.uuid4()}@{domain}"]
    msg["Message-ID"] = " ".join(f"<{i}>" for i in ids)
    for prop, name in (("inReplyTo", "In-Reply-To"), ("references", "References")):
        if headers.get(prop):
            msg[name] = " ".join(f"<{i}>" for i in headers[prop])
    for name, value in draft.extra_headers:
        msg[name] = value
    if draft.html is not None and draft.text is not None:
        msg.set_content(draft.text)
        msg.add_alternative(draft.html, subtype="html")
    elif draft.html is not None:
        msg.set_content(draft.html, subtype="html")
    else:
        msg.set_content(draft.text or "")
    for part in draft.attachments:
        maintype, subtype = part["type"].split("/")
        data = blobs.get(part["blobId"]) or b""
        cid = part.get("cid")
        msg.add_attachment(
            data,
            maintype=maintype,
            subtype=subtype,
            filename=part.get("name"),
            disposition=part.get("disposition") or "attachment",
            cid=f"<{cid}>" if cid else None,
        )
    return msg.as_bytes()
