"""Email/get (RFC 8621 section 4.2): the standard /get, then what needs the message itself.

The stored record answers most properties (`headers` included). `bodyValues` and
`header:{name}:as{Form}` (on the Email or in `bodyProperties`) are read from the message blob,
parsed only when one of them is asked for. `bodyProperties` trims each EmailBodyPart;
`properties` omitted means the RFC's default list, not every property."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Final

from satchel.core.context import RequestContext
from satchel.core.errors import invalid_arguments
from satchel.core.registry import MethodResponse
from satchel.core.standard.get import get
from satchel.mail import mime
from satchel.mail.header_forms import parse_header_property

JsonObject = dict[str, Any]

# RFC 8621 section 4.9: Email/parse's default properties are Email/get's (section 4.2) without
# the metadata a message blob alone does not have.
MESSAGE_DEFAULT_PROPERTIES: Final = (
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
    "bodyValues",
    "textBody",
    "htmlBody",
    "attachments",
)
DEFAULT_PROPERTIES: Final = (
    "id",
    "blobId",
    "threadId",
    "mailboxIds",
    "keywords",
    "size",
    "receivedAt",
    *MESSAGE_DEFAULT_PROPERTIES,
)
DEFAULT_BODY_PROPERTIES: Final = (
    "partId",
    "blobId",
    "size",
    "name",
    "type",
    "charset",
    "disposition",
    "cid",
    "language",
    "location",
)
BODY_PART_PROPERTIES: Final = frozenset({*DEFAULT_BODY_PROPERTIES, "headers", "subParts"})
_PART_LISTS: Final = ("bodyStructure", "textBody", "htmlBody", "attachments")
# What post-processing reads from the record, fetched even when the client did not ask.
_NEEDED: Final = ("blobId", "bodyStructure", "textBody", "htmlBody")


def _flag(raw: JsonObject, name: str) -> bool:
    value = raw.get(name, False)
    return value is True


async def email_get(ctx: RequestContext, raw: JsonObject) -> list[MethodResponse]:
    if not isinstance(raw, dict):
        raise invalid_arguments("arguments must be an object")
    properties = raw.get("properties")
    if properties is None:
        properties = list(DEFAULT_PROPERTIES)
    body_properties = check_body_properties(raw.get("bodyProperties"))
    asked = list(properties) if isinstance(properties, list) else properties
    fetch = asked
    options: _Options | None = None
    if isinstance(asked, list) and all(isinstance(p, str) for p in asked):
        wanted = ["id", *dict.fromkeys(p for p in asked if p != "id")]
        options = body_options(raw, wanted, body_properties)
        if options.needs_message:
            # Reading the message needs its blobId and the body part lists.
            fetch = [*asked, *(n for n in _NEEDED if n not in asked)]
    # The standard /get validates every argument (types, unknown properties, ids).
    [(name, response)] = await get(_email(ctx), ctx, {**raw, "properties": fetch})
    assert options is not None  # get() answers only properties that are a String[]
    filled = []
    for obj in response["list"]:
        await complete(ctx, obj, options)
        filled.append({p: obj.get(p) for p in wanted})
    response["list"] = filled
    return [(name, response)]


def check_body_properties(value: Any) -> list[str]:
    """The `bodyProperties` argument, or its default (RFC 8621 section 4.2)."""
    if value is None:
        return list(DEFAULT_BODY_PROPERTIES)
    if not isinstance(value, list):
        raise invalid_arguments("bodyProperties must be a String[]")
    bad = [
        p
        for p in value
        if not isinstance(p, str)
        or (p not in BODY_PART_PROPERTIES and parse_header_property(p) is None)
    ]
    if bad:
        raise invalid_arguments(f"unknown bodyProperties: {bad}")
    return list(value)


def body_options(raw: JsonObject, wanted: list[str], body_properties: list[str]) -> _Options:
    """The body arguments of Email/get and Email/parse (already type-checked)."""
    return _Options(
        wanted=frozenset(wanted),
        body_properties=body_properties,
        text=_flag(raw, "fetchTextBodyValues"),
        html=_flag(raw, "fetchHTMLBodyValues"),
        all=_flag(raw, "fetchAllBodyValues"),
        max_bytes=raw.get("maxBodyValueBytes") or 0,
    )


def _email(ctx: RequestContext) -> Any:
    return ctx.registry.data_types["Email"]


class _Options:
    """What one Email/get (or Email/parse) asks of each Email's message, worked out once per
    call rather than once per Email."""

    __slots__ = (
        "all",
        "body_properties",
        "header_properties",
        "html",
        "max_bytes",
        "needs_message",
        "part_lists",
        "text",
        "wanted",
    )

    def __init__(
        self,
        *,
        wanted: frozenset[str],
        body_properties: list[str],
        text: bool,
        html: bool,
        all: bool,
        max_bytes: int,
    ) -> None:
        self.wanted = wanted
        self.body_properties = body_properties
        self.text = text
        self.html = html
        self.all = all
        self.max_bytes = max_bytes
        self.part_lists = [name for name in _PART_LISTS if name in wanted]
        self.header_properties = [
            (name, spec)
            for name in wanted
            if name.startswith("header:") and (spec := parse_header_property(name)) is not None
        ]
        # Whether the message itself must be read (and parsed), not only its stored record.
        self.needs_message = (
            any(p.startswith("header:") for p in wanted)
            or ("bodyValues" in wanted and (text or html or all))
            or (bool(self.part_lists) and any(p.startswith("header:") for p in body_properties))
        )


async def complete(
    ctx: RequestContext,
    obj: JsonObject,
    options: _Options,
    parsed: tuple[bytes, mime.Message] | None = None,
) -> None:
    """Fill the properties that come from the message (read from its blob unless given), and
    trim body parts to the body properties."""
    blob_id = obj.get("blobId")
    if parsed is None and options.needs_message and isinstance(blob_id, str):
        data = await asyncio.to_thread(ctx.store.blobs.open, blob_id)
        if data is not None:
            parsed = data, mime.parse_message(data)
    obj["bodyValues"] = _body_values(obj, options, parsed) if parsed else {}
    if parsed is not None:
        raw, message = parsed
        headers = message.root.headers
        for prop, spec in options.header_properties:
            obj[prop] = mime.header_property(raw, headers, spec.form, spec.name, spec.all)
    for name in options.part_lists:
        obj[name] = _trim(obj.get(name), options.body_properties, parsed)


def _trim(value: Any, body_properties: list[str], parsed: tuple[bytes, mime.Message] | None) -> Any:
    if isinstance(value, list):
        return [_trim(v, body_properties, parsed) for v in value]
    if not isinstance(value, dict):
        return value
    part: JsonObject = {}
    found = _part_lookup(parsed, value.get("partId"))
    for prop in body_properties:
        if prop == "headers":
            part[prop] = [{"name": h.name, "value": h.raw} for h in found.headers] if found else []
        elif prop.startswith("header:"):
            spec = parse_header_property(prop)
            if spec is not None and found is not None and parsed is not None:
                part[prop] = mime.header_property(
                    parsed[0], found.headers, spec.form, spec.name, spec.all
                )
            else:
                part[prop] = None
        elif prop != "subParts":
            part[prop] = value.get(prop)
    # A multipart's children are the tree itself: always kept (section 4.1.4).
    if isinstance(value.get("subParts"), list):
        part["subParts"] = _trim(value["subParts"], body_properties, parsed)
    return part


def _part_lookup(parsed: tuple[bytes, mime.Message] | None, part_id: Any) -> mime.Part | None:
    if parsed is None or not isinstance(part_id, str):
        return None
    return mime.find_part(parsed[1], part_id)


def _leaves(value: Any) -> list[JsonObject]:
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v)]
    if not isinstance(value, dict):
        return []
    if isinstance(value.get("subParts"), list) and value["subParts"]:
        return _leaves(value["subParts"])
    return [value]


def _body_values(
    obj: JsonObject, options: _Options, parsed: tuple[bytes, mime.Message]
) -> JsonObject:
    """RFC 8621 section 4.2: bodyValues of the text/* parts the fetch flags select."""
    chosen: list[JsonObject] = []
    sources: list[tuple[bool, Callable[[], list[JsonObject]]]] = [
        (options.text, lambda: _leaves(obj.get("textBody"))),
        (options.html, lambda: _leaves(obj.get("htmlBody"))),
        (options.all, lambda: _leaves(obj.get("bodyStructure"))),
    ]
    for enabled, parts in sources:
        if enabled:
            chosen.extend(parts())
    values: JsonObject = {}
    raw, message = parsed
    for part in chosen:
        part_id = part.get("partId")
        if not isinstance(part_id, str) or part_id in values:
            continue
        if not str(part.get("type") or "").startswith("text/"):
            continue
        found = mime.find_part(message, part_id)
        if found is not None:
            values[part_id] = mime.body_value(raw, found, options.max_bytes)
    return values
