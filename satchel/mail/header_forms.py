"""Header field property names `header:{name}[:as{Form}][:all]` (RFC 8621 section 4.1.3) and
which parsed forms each known header field allows (section 4.1.2): a forbidden form, such as
`header:From:asDate`, is invalidArguments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

FORMS: Final = ("Raw", "Text", "Addresses", "GroupedAddresses", "MessageIds", "Date", "URLs")

_ADDRESS_HEADERS: Final = frozenset(
    [
        "from",
        "sender",
        "reply-to",
        "to",
        "cc",
        "bcc",
        "resent-from",
        "resent-sender",
        "resent-reply-to",
        "resent-to",
        "resent-cc",
        "resent-bcc",
    ]
)
# Known header fields -> the forms besides Raw they may be fetched in (section 4.1.2).
ALLOWED: Final[dict[str, frozenset[str]]] = {
    **{name: frozenset({"Addresses", "GroupedAddresses"}) for name in _ADDRESS_HEADERS},
    **{name: frozenset({"Text"}) for name in ("subject", "comments", "keywords", "list-id")},
    **{
        name: frozenset({"MessageIds"})
        for name in ("message-id", "in-reply-to", "references", "resent-message-id")
    },
    **{name: frozenset({"Date"}) for name in ("date", "resent-date")},
    **{
        name: frozenset({"URLs"})
        for name in (
            "list-help",
            "list-unsubscribe",
            "list-subscribe",
            "list-post",
            "list-owner",
            "list-archive",
        )
    },
}


@dataclass(frozen=True, slots=True)
class HeaderProperty:
    name: str  # the header field name as asked for
    form: str  # one of FORMS
    all: bool


def parse_header_property(prop: str) -> HeaderProperty | None:
    """The parsed `header:` property name, or None when it is not a valid, allowed one."""
    parts = prop.split(":")
    if len(parts) < 2 or parts[0] != "header" or not parts[1]:
        return None
    name, rest = parts[1], parts[2:]
    if any(ord(c) <= 32 or ord(c) > 126 for c in name):
        return None
    all_ = bool(rest) and rest[-1] == "all"
    if all_:
        rest = rest[:-1]
    if len(rest) > 1:
        return None
    form = "Raw"
    if rest:
        if not rest[0].startswith("as") or rest[0][2:] not in FORMS:
            return None
        form = rest[0][2:]
    allowed = ALLOWED.get(name.lower())
    if form != "Raw" and allowed is not None and form not in allowed:
        return None
    return HeaderProperty(name, form, all_)


def is_header_property(prop: str) -> bool:
    return parse_header_property(prop) is not None
