"""What Satchel stores of an Email (RFC 8621 section 4.1) and what it indexes of it, built once
at ingest from the MIME summary so /get and /query never re-parse the message."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Final

from satchel.mail import mime
from satchel.mail.threading import base_subject
from satchel.store.mail_base import EmailIndexEntry

JsonObject = dict[str, Any]

# The properties `summarize` gives that an Email record keeps (RFC 8621 section 4.1).
SUMMARY_PROPERTIES: Final = (
    "headers",
    "messageId",
    "inReplyTo",
    "references",
    "sender",
    "from",
    "to",
    "cc",
    "bcc",
    "replyTo",
    "subject",
    "sentAt",
    "hasAttachment",
    "preview",
    "bodyStructure",
    "textBody",
    "htmlBody",
    "attachments",
)
_FOLD: Final = re.compile(r"\s+")


def utc_date(unix: float) -> str:
    """A UTCDate (RFC 8620 section 1.4) to the second."""
    moment = dt.datetime.fromtimestamp(int(unix), dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def unix_time(date: Any) -> int | None:
    """Unix seconds of an RFC 3339 Date, or None."""
    if not isinstance(date, str):
        return None
    try:
        return int(dt.datetime.fromisoformat(date.replace("Z", "+00:00")).timestamp())
    except ValueError:
        return None


def with_part_blob_ids(value: Any, blob_id: str) -> Any:
    """Give every non-multipart EmailBodyPart its blobId, the message blob id with "P" and its
    partId (a slice of the stored message the download route can serve)."""
    if isinstance(value, list):
        return [with_part_blob_ids(v, blob_id) for v in value]
    if not isinstance(value, dict):
        return value
    part = dict(value)
    if "subParts" in part and isinstance(part["subParts"], list):
        part["subParts"] = [with_part_blob_ids(v, blob_id) for v in part["subParts"]]
    is_multipart = str(part.get("type") or "").startswith("multipart/")
    if part.get("partId") is not None and not is_multipart and part.get("blobId") is None:
        # `summarize` sets it already; kept so a stored part always has one.
        part["blobId"] = f"{blob_id}P{part['partId']}"
    return part


def email_data(
    summary: JsonObject,
    *,
    blob_id: str,
    thread_id: str,
    mailbox_ids: dict[str, bool],
    keywords: dict[str, bool],
    size: int,
    received_at: float,
) -> JsonObject:
    """The stored data of an Email record: every property but `id` and the computed ones."""
    data: JsonObject = {name: summary.get(name) for name in SUMMARY_PROPERTIES}
    for name in ("bodyStructure", "textBody", "htmlBody", "attachments"):
        data[name] = with_part_blob_ids(data[name], blob_id)
    for name in ("textBody", "htmlBody", "attachments"):
        if data[name] is None:
            data[name] = []
    data["hasAttachment"] = bool(data["hasAttachment"])
    data["preview"] = data["preview"] or ""
    data["headers"] = data["headers"] or []
    data.update(
        blobId=blob_id,
        threadId=thread_id,
        mailboxIds=mailbox_ids,
        keywords=keywords,
        size=size,
        receivedAt=utc_date(received_at),
    )
    return data


def _first_name(addresses: Any) -> str:
    """RFC 8621 section 4.4.2: the name, else the email, of the first address, else ""."""
    if isinstance(addresses, list) and addresses and isinstance(addresses[0], dict):
        first = addresses[0]
        return str(first.get("name") or first.get("email") or "")
    return ""


def _header_lines(raw: bytes, message: mime.Message) -> str:
    """The text the `header` filter searches: one "name: value" line per header field, its
    encoded words decoded (RFC 8621 section 4.4.1 says they SHOULD be before matching)."""
    return "\n".join(
        f"{h.name.lower()}: {mime.decode_words(_FOLD.sub(' ', h.raw).strip())}"
        for h in message.root.headers
    )


def index_entry(
    email_id: str, data: JsonObject, summary: JsonObject, message: mime.Message, raw: bytes
) -> EmailIndexEntry:
    """The mail index row of an Email (RFC 8621 section 4.4 filters and sorts)."""
    text = summary.get("searchText") or {}

    def search(name: str) -> str:
        value = text.get(name)
        return value if isinstance(value, str) else ""

    received = unix_time(data["receivedAt"])
    return EmailIndexEntry(
        email_id=email_id,
        thread_id=data["threadId"],
        mailbox_ids=tuple(sorted(data["mailboxIds"])),
        keywords=tuple(sorted(k.lower() for k in data["keywords"])),
        received_at=received if received is not None else 0,
        sent_at=unix_time(data.get("sentAt")),
        size=data["size"],
        has_attachment=bool(data["hasAttachment"]),
        from_sort=_first_name(data.get("from")).casefold(),
        to_sort=_first_name(data.get("to")).casefold(),
        subject_sort=base_subject(data.get("subject")),
        message_ids=tuple(data.get("messageId") or ()),
        from_text=search("from"),
        to_text=search("to"),
        cc_text=search("cc"),
        bcc_text=search("bcc"),
        subject_text=search("subject"),
        body_text=search("body"),
        attachment_names=search("attachmentNames"),
        headers_text=_header_lines(raw, message),
        references=tuple(
            dict.fromkeys([*(data.get("inReplyTo") or ()), *(data.get("references") or ())])
        ),
    )
