"""RFC 8621 section 4.1.2 parsed header forms (Raw, Text, Addresses, GroupedAddresses,
MessageIds, Date, URLs) and section 4.1.3 `header:{name}:as{Form}[:all]` values.

Every parser is best effort (RFC 8621: "Parsing SHOULD be best effort in the face of invalid
structure"): garbage gives a value or null, never an exception.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any

from satchel.mail.mime.charsets import _ENCODED_WORD, decode_words, header_text, unfold
from satchel.mail.mime.params import strip_comments
from satchel.mail.mime.structure import Header

FORMS = ("Raw", "Text", "Addresses", "GroupedAddresses", "MessageIds", "Date", "URLs")

# RFC 8621 section 4.1.2: which header fields each parsed form may be fetched for.


def _names(words: str) -> frozenset[str]:
    return frozenset(words.split())


_RFC5322_AND_2369 = _names(
    "date from sender reply-to to cc bcc message-id in-reply-to references subject comments "
    "keywords resent-date resent-from resent-sender resent-to resent-cc resent-bcc "
    "resent-message-id resent-reply-to return-path received list-help list-unsubscribe "
    "list-subscribe list-post list-owner list-archive"
)
_ALLOWED: dict[str, frozenset[str]] = {
    "Text": _names("subject comments keywords list-id"),
    "Addresses": _names(
        "from sender reply-to to cc bcc resent-from resent-sender resent-reply-to resent-to "
        "resent-cc resent-bcc"
    ),
    "MessageIds": _names("message-id in-reply-to references resent-message-id"),
    "Date": _names("date resent-date"),
    "URLs": _names("list-help list-unsubscribe list-subscribe list-post list-owner list-archive"),
}
_ALLOWED["GroupedAddresses"] = _ALLOWED["Addresses"]


def form_allowed(form: str, name: str) -> bool:
    """RFC 8621 section 4.1.2: may `header:{name}:as{form}` be fetched (or set)?"""
    if form == "Raw":
        return True
    allowed = _ALLOWED.get(form)
    if allowed is None:
        return False
    lowered = name.lower()
    return lowered in allowed or lowered not in _RFC5322_AND_2369


# -- Addresses (RFC 5322 section 3.4) ---------------------------------------------------------

_SPECIALS = set(' \t\r\n"(),:;<>')


def _tokenize(value: str) -> list[tuple[str, str]]:
    """(kind, text) tokens: word, quoted, comment, angle, and the separators , : ;"""
    tokens: list[tuple[str, str]] = []
    i = 0
    n = len(value)
    while i < n:
        ch = value[i]
        if ch in " \t\r\n":
            i += 1
        elif ch == '"':
            buf: list[str] = []
            i += 1
            while i < n and value[i] != '"':
                if value[i] == "\\" and i + 1 < n:
                    i += 1
                buf.append(value[i])
                i += 1
            tokens.append(("quoted", "".join(buf)))
            i += 1
        elif ch == "(":
            depth = 0
            buf = []
            while i < n:
                c = value[i]
                if c == "\\" and i + 1 < n:
                    buf.append(value[i + 1])
                    i += 2
                    continue
                if c == "(":
                    depth += 1
                    if depth > 1:
                        buf.append(c)
                elif c == ")":
                    depth -= 1
                    if depth == 0:
                        i += 1
                        break
                    buf.append(c)
                else:
                    buf.append(c)
                i += 1
            tokens.append(("comment", "".join(buf)))
        elif ch == "<":
            close = value.find(">", i + 1)
            close = n if close < 0 else close
            tokens.append(("angle", value[i + 1 : close]))
            i = close + 1
        elif ch in ",:;":
            tokens.append((ch, ch))
            i += 1
        elif ch == ">" or ch == ")":
            i += 1  # stray closer: garbage, skipped
        else:
            # An atom; an encoded word inside it is skipped whole, as its text may hold
            # specials ("=?utf-8?q?Re:_x?="). Whether it is decoded is decode_words' call.
            j = i
            while j < n and value[j] not in _SPECIALS:
                m = _ENCODED_WORD.match(value, j) if value[j] == "=" else None
                j = m.end() if m is not None else j + 1
            tokens.append(("word", value[i:j]))
            i = j
    return tokens


def _clean_name(text: str) -> str | None:
    text = unicodedata.normalize("NFC", decode_words(text)).strip()
    return text or None


class _AddressListParser:
    def __init__(self) -> None:
        self.groups: list[tuple[str | None, list[dict[str, Any]]]] = []
        self.in_group = False
        self.phrase: list[tuple[str, str]] = []
        self.angle: str | None = None
        self.comment: str | None = None
        self.ungrouped: list[dict[str, Any]] | None = None  # the run of mailboxes being collected

    def run(self, value: str) -> list[tuple[str | None, list[dict[str, Any]]]]:
        for kind, text in _tokenize(unfold(value)):
            if kind == ",":
                self.finish_mailbox()
            elif kind == ";":
                self.finish_mailbox()
                self.in_group = False
            elif kind == ":":
                if self.in_group or self.angle is not None:
                    continue
                name = _clean_name(" ".join(t for _k, t in self.phrase))
                self.reset()
                self.groups.append((name, []))
                self.in_group = True
                self.ungrouped = None
            elif kind == "angle":
                if self.angle is None:
                    self.angle = text
            elif kind == "comment":
                if self.comment is None and (self.phrase or self.angle is not None):
                    self.comment = text
            elif self.angle is None:
                self.phrase.append((kind, text))
        self.finish_mailbox()
        return self.groups

    def reset(self) -> None:
        self.phrase = []
        self.angle = None
        self.comment = None

    def finish_mailbox(self) -> None:
        phrase, angle, comment = self.phrase, self.angle, self.comment
        self.reset()
        name: str | None
        if angle is not None:
            email = "".join(angle.split())
            if email.startswith("@") and ":" in email:  # RFC 5322 obs-route
                email = email.rsplit(":", 1)[1]
            name = _clean_name(" ".join(t for _k, t in phrase))
        elif phrase:
            texts = [t for _k, t in phrase]
            last = texts[-1]
            if len(texts) > 1 and "@" in last and not last.startswith("@"):
                email, name = last, _clean_name(" ".join(texts[:-1]))
            elif any("@" in t for t in texts):
                email, name = "".join(texts), None
            else:
                email, name = " ".join(texts), None
        else:
            return
        if name is None and comment is not None:
            name = _clean_name(comment)
        if not email and name is None:
            return
        address = {"name": name, "email": email}
        if self.in_group:
            self.groups[-1][1].append(address)
            return
        if self.ungrouped is None:
            self.ungrouped = []
            self.groups.append((None, self.ungrouped))
        self.ungrouped.append(address)


def grouped_addresses(value: str) -> list[dict[str, Any]]:
    """RFC 8621 section 4.1.2.4 GroupedAddresses: EmailAddressGroup[]."""
    groups = _AddressListParser().run(value)
    return [{"name": name, "addresses": addresses} for name, addresses in groups]


def addresses(value: str) -> list[dict[str, Any]]:
    """RFC 8621 section 4.1.2.3 Addresses: EmailAddress[], groups flattened."""
    groups = _AddressListParser().run(value)
    return [address for _name, members in groups for address in members]


# -- MessageIds, URLs (RFC 5322 section 3.6.4, RFC 2369) ---------------------------------------

_ANGLED = re.compile(r"<([^<>]*)>")


def message_ids(value: str) -> list[str] | None:
    """RFC 8621 section 4.1.2.5: msg-ids without CFWS and angle brackets; null if none parse.
    A bare id (no brackets) holding an "@" is accepted, as old mailers write them."""
    text = strip_comments(unfold(value))
    ids = [i for i in ("".join(m.split()) for m in _ANGLED.findall(text)) if i]
    if ids:
        return ids
    bare = text.split()
    if bare and all("@" in word and "<" not in word and ">" not in word for word in bare):
        return bare
    return None


def urls(value: str) -> list[str] | None:
    """RFC 8621 section 4.1.2.7 (RFC 2369 section 2): the <URL>s, comments removed."""
    found = ["".join(m.split()) for m in _ANGLED.findall(strip_comments(unfold(value)))]
    found = [u for u in found if u]
    return found or None


# -- Date (RFC 5322 section 3.3, obsolete forms included) ------------------------------------

_DATE = re.compile(
    r"^\s*(?:[A-Za-z]+\s*,?\s*)?(\d{1,2})\s*[-\s]?\s*([A-Za-z]{3,})\.?\s*[-\s]?\s*(\d{2,4})"
    r"\s+(\d{1,2})\s*:\s*(\d{1,2})(?:\s*:\s*(\d{1,2}))?(?:\.\d+)?\s*([+-]\d{4}|[A-Za-z]{1,5})?"
)
_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
    )
}
# RFC 5322 section 4.3: obsolete zone names; any other (military) zone means -0000.
_ZONES = {
    **dict.fromkeys(("ut", "utc", "gmt", "z"), 0),
    **{"est": -300, "edt": -240, "cst": -360, "cdt": -300},
    **{"mst": -420, "mdt": -360, "pst": -480, "pdt": -420},
}
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def parse_date(value: str) -> tuple[str, int] | None:
    """RFC 5322 date-time -> (RFC 3339 Date string keeping the zone offset, offset minutes);
    None if it does not parse. A zero offset is written "Z"."""
    # White space collapsed first, so the pattern's optional separators cannot backtrack.
    m = _DATE.match(" ".join(strip_comments(unfold(value)).split())[:200])
    if m is None:
        return None
    day, month_name, year_s, hour_s, minute_s, second_s, zone = m.groups()
    month = _MONTHS.get(month_name[:3].lower())
    if month is None:
        return None
    year = int(year_s)
    if len(year_s) == 2:
        year += 2000 if year < 50 else 1900  # RFC 5322 section 4.3
    elif len(year_s) == 3:
        year += 1900
    d, hour, minute = int(day), int(hour_s), int(minute_s)
    second = min(int(second_s), 59) if second_s else 0  # a leap second reads as :59
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    if not (
        1 <= d <= _DAYS_IN_MONTH[month - 1]
        and (month != 2 or d <= 28 or leap)
        and hour < 24
        and minute < 60
        and year >= 1
    ):
        return None
    offset = 0
    if zone:
        if zone[0] in "+-":
            hh, mm = int(zone[1:3]), int(zone[3:5])
            if hh > 23 or mm > 59:
                return None
            offset = (hh * 60 + mm) * (-1 if zone[0] == "-" else 1)
        else:
            offset = _ZONES.get(zone.lower(), 0)
    stamp = f"{year:04d}-{month:02d}-{d:02d}T{hour:02d}:{minute:02d}:{second:02d}"
    if offset == 0:
        return stamp + "Z", 0
    sign = "+" if offset > 0 else "-"
    return f"{stamp}{sign}{abs(offset) // 60:02d}:{abs(offset) % 60:02d}", offset


def date_form(value: str) -> str | None:
    """RFC 8621 section 4.1.2.6 Date."""
    parsed = parse_date(value)
    return None if parsed is None else parsed[0]


# -- header:{name}:as{Form}[:all] ------------------------------------------------------------

_PARSERS: dict[str, Callable[[str], Any]] = {
    "Raw": lambda value: value,
    "Text": header_text,
    "Addresses": addresses,
    "GroupedAddresses": grouped_addresses,
    "MessageIds": message_ids,
    "Date": date_form,
    "URLs": urls,
}


def header_values(headers: list[Header], name: str) -> list[str]:
    """The Raw values of every instance of a header field, in message order."""
    lowered = name.lower()
    return [h.raw for h in headers if h.name.lower() == lowered]


def header_property(raw: bytes, headers: list[Header], form: str, name: str, all: bool) -> Any:
    """RFC 8621 section 4.1.2/4.1.3: the value of `header:{name}:{form}[:all]` where form is one
    of Raw, Text, Addresses, GroupedAddresses, MessageIds, Date, URLs. The last instance, or
    null if there is none; with `all`, a list (empty if none). An unknown form is a ValueError
    (the caller validates property names first)."""
    parser = _PARSERS.get(form)
    if parser is None:
        raise ValueError(f"unknown header form {form!r}")
    values = header_values(headers, name)
    if all:
        return [parser(v) for v in values]
    return parser(values[-1]) if values else None
