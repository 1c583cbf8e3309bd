"""Email/set create -> RFC 5322 bytes (RFC 8621 section 4.6).

`check_create` validates an Email to create into a `Draft`: its header fields, already encoded,
and its MIME tree of `Node`s. A `bodyStructure` is kept as the client gave it (nested
multipart/* with their sub-parts); textBody/htmlBody/attachments become the usual
mixed > [alternative > [text, related > [html, inline parts]], attachments] tree, the related
part only when the HTML references an inline part's cid. Leaves come from `bodyValues` (by
partId, text/* only) or from blobs (by blobId), read by the caller first; text leaves are 7bit
or quoted-printable, other leaves base64.

Invalid properties are named as JSON pointers below the Email ("bodyStructure/subParts/1/charset",
"bodyValues/t"), top-level properties by their own name."""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import io
import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from email import quoprimime
from email.generator import BytesGenerator
from email.header import Header as EncodedHeader
from email.message import EmailMessage, MIMEPart
from email.policy import SMTP
from typing import Any, Final

from satchel.core.datatype import IdResolver, IdSet, Invalid, UTCDate, is_id
from satchel.core.errors import SetError, invalid_properties
from satchel.mail.email import Keywords
from satchel.mail.email_record import unix_time
from satchel.mail.header_forms import parse_header_property
from satchel.mail.mime.headers import form_allowed

JsonObject = dict[str, Any]

# Raw header values are written as given (already ASCII and folded); the rest fold themselves.
_POLICY: Final = SMTP.clone(refold_source="none")
_MAX_DEPTH: Final = 20
_MAX_PARTS: Final = 500

# Convenience property -> (header field, form of its value).
_CONVENIENCE: Final = {
    "from": ("From", "Addresses"),
    "sender": ("Sender", "Addresses"),
    "to": ("To", "Addresses"),
    "cc": ("Cc", "Addresses"),
    "bcc": ("Bcc", "Addresses"),
    "replyTo": ("Reply-To", "Addresses"),
    "subject": ("Subject", "Text"),
    "sentAt": ("Date", "Date"),
    "messageId": ("Message-ID", "MessageIds"),
    "inReplyTo": ("In-Reply-To", "MessageIds"),
    "references": ("References", "MessageIds"),
}
_ALLOWED: Final = frozenset(
    {
        *_CONVENIENCE,
        "mailboxIds",
        "keywords",
        "receivedAt",
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
# Header fields a body part sets through its own properties (or the server chooses).
_PART_OWN_HEADERS: Final = frozenset(
    {
        "content-type",
        "content-disposition",
        "content-id",
        "content-language",
        "content-location",
        "content-transfer-encoding",
        "mime-version",
    }
)


@dataclass(slots=True)
class HeaderField:
    """One header field to write: `raw` values are ASCII and folded with CRLF + white space;
    otherwise the value is unstructured text the generator encodes (RFC 2047)."""

    name: str
    value: str
    raw: bool


@dataclass(slots=True)
class Node:
    """One MIME part to write: a multipart (children) or a leaf from text or a blob."""

    type: str
    children: list[Node] | None = None
    text: str | None = None
    blob_id: str | None = None
    charset: str | None = None
    name: str | None = None
    disposition: str | None = None
    cid: str | None = None
    language: list[str] | None = None
    location: str | None = None
    headers: list[HeaderField] = field(default_factory=list)
    header_keys: dict[str, str] = field(default_factory=dict)  # lowercased field -> property

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children or ():
            yield from child.walk()


@dataclass(slots=True)
class Draft:
    """A validated Email to create."""

    mailbox_ids: list[str]
    keywords: list[str]
    received_at: float | None
    headers: list[HeaderField] = field(default_factory=list)
    body: Node = field(default_factory=lambda: Node("text/plain", text=""))

    def blob_ids(self) -> list[str]:
        return list(dict.fromkeys(n.blob_id for n in self.body.walk() if n.blob_id is not None))


# -- header values, symmetric to satchel.mail.mime.headers ------------------------------------


def _string(value: Any) -> str:
    if not isinstance(value, str) or "\r" in value or "\n" in value:
        raise Invalid("expected a single-line String")
    return value


def _fold(items: list[str], sep: str = ",") -> str:
    """Join items on lines of at most 78 characters where it can (items may hold folds)."""
    out = ""
    line = 0
    for i, item in enumerate(items):
        piece = item + (sep if i < len(items) - 1 else "")
        first = piece.split("\n", 1)[0]
        if i and line + 1 + len(first) > 76:
            out += "\r\n " + piece
            line = 1 + len(piece.rsplit("\n", 1)[-1])
        else:
            out += (" " if i else "") + piece
            line = len(piece.rsplit("\n", 1)[-1]) if "\n" in piece else line + 1 + len(piece)
    return out.replace("\r\n", "\n").replace("\n", "\r\n")


def _phrase(name: str) -> str:
    if name.isascii():
        return email.utils.formataddr((name, "x@x"))[: -len(" <x@x>")]
    return EncodedHeader(name, "utf-8").encode()


def _address_items(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise Invalid("expected EmailAddress[]")
    out = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("email"), str):
            raise Invalid("an EmailAddress needs an email")
        if set(item) - {"name", "email"}:
            raise Invalid("unknown EmailAddress properties")
        name = item.get("name")
        if name is not None and not isinstance(name, str):
            raise Invalid("an EmailAddress name is a String")
        address = item["email"]
        if any(c in address for c in "\r\n<>,;: \t") or any(c in (name or "") for c in "\r\n"):
            raise Invalid("line breaks, brackets and separators are not allowed")
        if not address.isascii():
            raise Invalid("addresses are ASCII")
        out.append(f"{_phrase(name)} <{address}>" if name else address)
    return out


def _addresses(value: Any) -> str:
    return _fold(_address_items(value))


def _grouped_addresses(value: Any) -> str:
    if not isinstance(value, list):
        raise Invalid("expected EmailAddressGroup[]")
    items: list[str] = []
    for group in value:
        if not isinstance(group, dict) or set(group) - {"name", "addresses"}:
            raise Invalid("expected an EmailAddressGroup")
        members = _address_items(group.get("addresses"))
        name = group.get("name")
        if name is None:
            items.extend(members)
            continue
        if not isinstance(name, str) or "\r" in name or "\n" in name:
            raise Invalid("a group name is a single-line String")
        items.append(f"{_phrase(name)}: {_fold(members)};")
    return _fold(items)


def _message_ids(value: Any) -> str:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise Invalid("expected String[]")
    if any(not v or not v.isascii() or any(c in v for c in "<> \t\r\n()") for v in value):
        raise Invalid("a message id is ASCII without angle brackets or white space")
    return _fold([f"<{v}>" for v in value], sep="")


def _date(value: Any) -> str:
    if not isinstance(value, str):
        raise Invalid("expected a Date")
    try:
        stamp = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Invalid("expected a Date") from None
    if stamp.tzinfo is None:
        raise Invalid("a Date has a time zone")
    return email.utils.format_datetime(stamp)


def _urls(value: Any) -> str:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise Invalid("expected String[]")
    if any(not v or not v.isascii() or any(c in v for c in "<> \t\r\n") for v in value):
        raise Invalid("a URL is ASCII without angle brackets or white space")
    return _fold([f"<{v}>" for v in value])


_RAW_LINE_BREAK = re.compile(r"\r?\n(?![ \t])")


def _raw(value: Any) -> str:
    if not isinstance(value, str) or not value.isascii():
        raise Invalid("a Raw header value is an ASCII String")
    if _RAW_LINE_BREAK.search(value) or "\r" in value.replace("\r\n", "") or "\0" in value:
        raise Invalid("line breaks in a Raw value must be folds")
    text: str = value.replace("\r\n", "\n").replace("\n", "\r\n")
    return text[1:] if text.startswith(" ") else text


# form -> (encoder, is the result raw); the inverse of mime.headers' parsers.
_ENCODERS: Final[dict[str, tuple[Callable[[Any], str], bool]]] = {
    "Raw": (_raw, True),
    "Text": (_string, False),
    "Addresses": (_addresses, True),
    "GroupedAddresses": (_grouped_addresses, True),
    "MessageIds": (_message_ids, True),
    "Date": (_date, True),
    "URLs": (_urls, True),
}


def _header_fields(name: str, form: str, value: Any, all_: bool) -> list[HeaderField]:
    """The fields of a `header:{name}:as{form}[:all]` value (null: none); Invalid if bad."""
    if value is None:
        return []
    encode, raw = _ENCODERS[form]
    values = value if all_ else [value]
    if not isinstance(values, list):
        raise Invalid("a header:...:all value is an array")
    return [HeaderField(name, encode(v), raw) for v in values if v is not None]


def _header_key(key: str) -> tuple[str, str, bool] | None:
    """(field name, form, all) of a `header:` property allowed for that field, or None."""
    spec = parse_header_property(key) if key.startswith("header:") else None
    if spec is None or not form_allowed(spec.form, spec.name):
        return None
    return spec.name, spec.form, spec.all


# -- bodies -------------------------------------------------------------------------------------


class _Bodies:
    """Builds the MIME tree, collecting the JSON pointers of invalid properties."""

    def __init__(self, values: Mapping[str, Any], bad: list[str]) -> None:
        self.values = values
        self.bad = bad
        self.used: set[str] = set()
        self.count = 0

    def fail(self, path: str) -> None:
        self.bad.append(path)

    def part(self, obj: Any, path: str, depth: int = 0) -> Node | None:
        """A validated EmailBodyPart (a whole tree below it), or None after recording why."""
        if not isinstance(obj, dict):
            self.fail(path)
            return None
        self.count += 1
        if depth > _MAX_DEPTH or self.count > _MAX_PARTS:
            self.fail(path)
            return None
        ok = True

        def check(key: str, valid: bool) -> None:
            nonlocal ok
            if not valid:
                self.fail(f"{path}/{key}")
                ok = False

        headers: list[HeaderField] = []
        seen: dict[str, str] = {}
        for key, value in obj.items():
            if key in _PART_FIELDS:
                continue
            spec = _header_key(key)
            valid = spec is not None and spec[0].lower() not in _PART_OWN_HEADERS
            if valid and spec is not None:
                valid = spec[0].lower() not in seen
                seen[spec[0].lower()] = key
                try:
                    headers += _header_fields(*spec[:2], value, spec[2])
                except Invalid:
                    valid = False
            check(key, valid)
        # RFC 8621 section 4.6: `headers` MUST NOT be given on an EmailBodyPart either; each
        # field is set as its own header:* property.
        if "headers" in obj:
            check("headers", False)
        for key in ("name", "disposition", "cid", "location", "type", "charset"):
            value = obj.get(key)
            check(key, value is None or (isinstance(value, str) and _string_ok(value)))
        language = obj.get("language")
        check(
            "language",
            language is None or (isinstance(language, list) and all(_token(v) for v in language)),
        )
        cid = obj.get("cid")
        check("cid", not isinstance(cid, str) or (cid.isascii() and _cid_ok(cid)))
        disposition = obj.get("disposition")
        check("disposition", not isinstance(disposition, str) or _token(disposition))
        media_type = obj.get("type")
        if isinstance(media_type, str):
            check("type", _media_type(media_type))
        charset = obj.get("charset")
        if isinstance(charset, str):
            check("charset", _token(charset))
        if not ok:
            return None
        node = Node(
            type=(media_type or "").lower(),
            name=obj.get("name"),
            disposition=disposition.lower() if isinstance(disposition, str) else None,
            cid=cid,
            language=language,
            location=obj.get("location"),
            headers=headers,
            header_keys=seen,
        )
        sub = obj.get("subParts")
        if sub is not None:
            return self.multipart(obj, node, path, depth)
        return self.leaf(obj, node, path)

    def multipart(self, obj: JsonObject, node: Node, path: str, depth: int) -> Node | None:
        ok = True
        node.type = node.type or "multipart/mixed"
        for key in ("partId", "blobId", "charset", "size"):
            if obj.get(key) is not None:
                self.fail(f"{path}/{key}")
                ok = False
        if not node.type.startswith("multipart/"):
            self.fail(f"{path}/type")
            ok = False
        sub = obj["subParts"]
        if not isinstance(sub, list) or not sub:
            self.fail(f"{path}/subParts")
            return None
        children = [self.part(c, f"{path}/subParts/{i}", depth + 1) for i, c in enumerate(sub)]
        if not ok or any(c is None for c in children):
            return None
        node.children = [c for c in children if c is not None]
        return node

    def leaf(self, obj: JsonObject, node: Node, path: str) -> Node | None:
        part_id, blob_id = obj.get("partId"), obj.get("blobId")
        if (part_id is None) == (blob_id is None):
            self.fail(f"{path}/partId" if part_id is not None else f"{path}/blobId")
            return None
        if node.type.startswith("multipart/"):
            self.fail(f"{path}/type")
            return None
        if blob_id is not None:
            if not is_id(blob_id):
                self.fail(f"{path}/blobId")
                return None
            size = obj.get("size")
            if size is not None and (isinstance(size, bool) or not isinstance(size, int)):
                self.fail(f"{path}/size")
                return None
            node.type = node.type or "application/octet-stream"
            node.blob_id = blob_id
            node.charset = obj.get("charset")
            if node.charset is not None and not node.type.startswith("text/"):
                self.fail(f"{path}/charset")
                return None
            return node
        # Section 4.6: a partId names a bodyValues entry, once; no charset or size with it.
        node.type = node.type or "text/plain"
        ok = True
        for key in ("charset", "size"):
            if obj.get(key) is not None:
                self.fail(f"{path}/{key}")
                ok = False
        if not node.type.startswith("text/"):
            self.fail(f"{path}/type")
            ok = False
        if not isinstance(part_id, str) or part_id in self.used:
            self.fail(f"{path}/partId")
            return None
        self.used.add(part_id)
        value = self.values.get(part_id)
        if not isinstance(value, dict) or not isinstance(value.get("value"), str):
            self.fail(f"{path}/partId")
            return None
        if (
            value.get("isTruncated")
            or value.get("isEncodingProblem")
            or set(value) - {"value", "isTruncated", "isEncodingProblem"}
        ):
            self.fail(f"bodyValues/{part_id}")
            return None
        node.text = value["value"]
        return node if ok else None


def _string_ok(value: str) -> bool:
    return "\r" not in value and "\n" not in value and "\0" not in value


_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def _token(value: Any) -> bool:
    return isinstance(value, str) and _TOKEN.fullmatch(value) is not None


def _media_type(value: str) -> bool:
    main, sep, sub = value.partition("/")
    return bool(sep) and _token(main) and _token(sub)


def _cid_ok(value: str) -> bool:
    return bool(value) and not any(c in value for c in '<> \t\r\n()"')


def _references(html: str, cid: str) -> bool:
    return f"cid:{cid}".lower() in html.lower()


def _simple_bodies(obj: JsonObject, parts: _Bodies, bad: list[str]) -> Node | None:
    """textBody/htmlBody/attachments -> mixed > [alternative > [text, related > [html, inline
    parts the HTML references by cid]], attachments], leaving out what is not needed."""
    found: dict[str, Node] = {}
    for name, wanted in (("textBody", "text/plain"), ("htmlBody", "text/html")):
        given = obj.get(name)
        if given is None:
            continue
        if not isinstance(given, list) or len(given) != 1:
            bad.append(name)
            continue
        node = parts.part(given[0], f"{name}/0")
        if node is None:
            continue
        if node.children is not None or node.type != wanted:
            bad.append(f"{name}/0/type")
            continue
        found[name] = node
    attachments: list[Node] = []
    given = obj.get("attachments")
    if given is not None:
        if not isinstance(given, list):
            bad.append("attachments")
        else:
            for i, item in enumerate(given):
                node = parts.part(item, f"attachments/{i}")
                if node is not None and node.children is not None:
                    bad.append(f"attachments/{i}/subParts")
                elif node is not None:
                    attachments.append(node)
    if bad:
        return None
    text, html = found.get("textBody"), found.get("htmlBody")
    html_text = html.text or "" if html is not None else ""
    inline = [
        a
        for a in attachments
        if html is not None
        and a.cid
        and a.disposition in (None, "inline")
        and _references(html_text, a.cid)
    ]
    rest = [a for a in attachments if a not in inline]
    for node in inline:
        node.disposition = node.disposition or "inline"
    for node in rest:
        # Not in a multipart/related: without a disposition an image would read as body.
        node.disposition = node.disposition or "attachment"
    body: Node | None = html
    if html is not None and inline:
        body = Node("multipart/related", children=[html, *inline])
    if text is not None and body is not None:
        body = Node("multipart/alternative", children=[text, body])
    elif body is None:
        body = text
    if body is None:
        body = Node("text/plain", text="")
    if rest:
        body = Node("multipart/mixed", children=[body, *rest])
    return body


def _bodies(obj: JsonObject, draft: Draft, bad: list[str]) -> None:
    values = obj.get("bodyValues") or {}
    if not isinstance(values, dict):
        bad.append("bodyValues")
        return
    parts = _Bodies(values, bad)
    before = len(bad)
    structure = obj.get("bodyStructure")
    if structure is not None:
        # Section 4.6: bodyStructure excludes textBody, htmlBody and attachments.
        if any(obj.get(k) is not None for k in ("textBody", "htmlBody", "attachments")):
            bad.append("bodyStructure")
            return
        node = parts.part(structure, "bodyStructure")
        if node is not None:
            # Its own header fields share the message header with the Email's.
            own = {h.name.lower() for h in draft.headers}
            clashes = [key for name, key in node.header_keys.items() if name in own]
            if clashes:
                bad.extend(f"bodyStructure/{key}" for key in clashes)
                return
            draft.body = node
    else:
        node = _simple_bodies(obj, parts, bad)
        if node is not None and len(bad) == before:
            draft.body = node


# -- the Email --------------------------------------------------------------------------------


def check_create(obj: Any, resolve: IdResolver) -> Draft:
    """Validate an Email to create (RFC 8621 section 4.6); SetError invalidProperties."""
    if not isinstance(obj, dict):
        raise invalid_properties("the Email to create must be an object")
    bad: list[str] = []
    draft = Draft(mailbox_ids=[], keywords=[], received_at=None)

    def field_(name: str, check: Callable[[Any], None]) -> None:
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
    # Section 4.6: one property per header field; Content-* only on body parts.
    fields: dict[str, str] = {}
    for key in obj:
        if key in _CONVENIENCE:
            name, form = _CONVENIENCE[key]
            spec: tuple[str, str, bool] | None = (name, form, False)
        elif key in _ALLOWED:
            continue
        else:
            spec = _header_key(key)
        lowered = spec[0].lower() if spec is not None else ""
        if (
            spec is None
            or lowered.startswith("content-")
            or lowered == "mime-version"
            or (lowered in fields and obj[key] is not None)
        ):
            if obj[key] is not None or spec is None:
                bad.append(key)
            continue
        if obj[key] is None:
            continue
        fields[lowered] = key
        name, form, all_ = spec
        try:
            draft.headers += _header_fields(name, form, obj[key], all_)
        except Invalid:
            bad.append(key)
    _bodies(obj, draft, bad)
    if bad:
        raise invalid_properties("invalid Email properties", *sorted(set(bad)))
    return draft


def missing_blobs(draft: Draft, blobs: Mapping[str, bytes | None]) -> None:
    """RFC 8621 section 4.6: blobNotFound with the ids that could not be read."""
    missing = [b for b in draft.blob_ids() if blobs.get(b) is None]
    if missing:
        raise SetError("blobNotFound", "attachment blobs not found", notFound=missing)


# -- writing ----------------------------------------------------------------------------------


def _set_header(part: MIMEPart, header: HeaderField) -> None:
    if header.raw:
        part.set_raw(header.name, header.value)
    else:
        part[header.name] = header.value


def _is_7bit(data: str) -> bool:
    return data.isascii() and "\0" not in data and all(len(x) <= 998 for x in data.splitlines())


_ASCII_PROBE: Final = "\r\n =+-~\\az AZ 09"


def _ascii_compatible(charset: str) -> bool:
    """Does the charset write ASCII as ASCII (so text in it may be 7bit or quoted-printable)?
    Not so for UTF-16, UTF-7 or an unknown charset: those blobs are base64."""
    try:
        return _ASCII_PROBE.encode(charset) == _ASCII_PROBE.encode("ascii")
    except (LookupError, UnicodeError):
        return False


def _blob_encoding(maintype: str, raw: bytes) -> str:
    """RFC 2046 section 5.2.1: a message/rfc822 body is never base64 or quoted-printable;
    7bit when it is, else 8bit (lines stay under 998 octets, no NUL: the RFC 5322 shape), and
    base64 only for a blob that is no message at all. Other blobs are base64."""
    if maintype == "message":
        octets = raw.decode("latin-1")
        if _is_7bit(octets):
            return "7bit"
        if "\0" not in octets and all(len(line) <= 998 for line in raw.splitlines()):
            return "8bit"
    return "base64"


def _write_leaf(part: MIMEPart, node: Node, data: bytes | None) -> None:
    maintype, subtype = node.type.split("/", 1)
    filename = node.name if node.disposition else None
    cid = f"<{node.cid}>" if node.cid else None
    text = node.text
    charset = node.charset or "utf-8"
    if text is None and maintype == "text" and data is not None and _ascii_compatible(charset):
        with contextlib.suppress(UnicodeError):
            text = data.decode(charset)
            text.encode(charset)  # a charset Python only decodes is written as a blob
    if text is not None:
        # Written by hand: the generator would add a line break at the end of the text.
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        if _is_7bit(text):
            cte, payload = "7bit", text
        else:
            octets = text.encode(charset).decode("latin-1")
            cte, payload = "quoted-printable", quoprimime.body_encode(octets, eol="\n")
        part["Content-Type"] = node.type
        part.set_param("charset", charset)
        part["Content-Transfer-Encoding"] = cte
        if node.disposition:
            part["Content-Disposition"] = node.disposition
            if filename:
                part.set_param("filename", filename, header="Content-Disposition")
        if cid:
            part["Content-ID"] = cid
        part.set_payload(payload)
    else:
        raw = data or b""
        cte = _blob_encoding(maintype, raw)
        if cte == "8bit":
            # Written by hand: the library base64-encodes or refuses 8-bit message bodies.
            part["Content-Type"] = node.type
            part["Content-Transfer-Encoding"] = cte
            if node.disposition:
                part["Content-Disposition"] = node.disposition
                if filename:
                    part.set_param("filename", filename, header="Content-Disposition")
            if cid:
                part["Content-ID"] = cid
            crlf = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
            part.set_payload(crlf.decode("ascii", "surrogateescape"))
            return
        part.set_content(
            raw,
            maintype,
            subtype,
            cte=cte,
            disposition=node.disposition,
            filename=filename,
            cid=cid,
        )
        if node.charset is not None:
            part.set_param("charset", node.charset)


def _write(part: MIMEPart, node: Node, blobs: Mapping[str, bytes | None]) -> None:
    if node.children is not None:
        del part["Content-Type"]
        part["Content-Type"] = node.type
        for child in node.children:
            sub = MIMEPart(policy=_POLICY)
            _write(sub, child, blobs)
            part.attach(sub)
    else:
        _write_leaf(part, node, blobs.get(node.blob_id) if node.blob_id else None)
    if node.name and not node.type.startswith("multipart/"):
        part.set_param("name", node.name)
    if node.language:
        part["Content-Language"] = ", ".join(node.language)
    if node.location:
        part["Content-Location"] = node.location
    for header in node.headers:
        _set_header(part, header)


def compose(draft: Draft, blobs: Mapping[str, bytes | None], domain: str) -> bytes:
    """The RFC 5322 message of a validated draft."""
    msg = EmailMessage(policy=_POLICY)
    for header in draft.headers:
        _set_header(msg, header)
    names = {h.name.lower() for h in (*draft.headers, *draft.body.headers)}
    if "date" not in names:
        msg["Date"] = email.utils.format_datetime(dt.datetime.now(dt.UTC))
    if "message-id" not in names:
        msg["Message-ID"] = f"<{uuid.uuid4()}@{domain}>"
    _write(msg, draft.body, blobs)
    if "MIME-Version" not in msg:
        msg["MIME-Version"] = "1.0"
    out = io.BytesIO()
    _Generator(out, policy=_POLICY).flatten(msg)
    return out.getvalue()


class _Generator(BytesGenerator):
    """Writes a message/* body kept as 8-bit octets (surrogate-escaped) back as those octets;
    the library's own generator only writes ASCII there."""

    def _encode(self, s: str) -> bytes:
        return s.encode("ascii", "surrogateescape")
