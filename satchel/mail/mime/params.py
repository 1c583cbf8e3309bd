"""Structured MIME header values: `type/subtype; attr=value; ...` (RFC 2045 section 5.1,
RFC 2183) with RFC 2231 parameter continuations, charsets and languages, and the common
RFC 2047-in-quotes filenames. Best effort: any input gives an answer, never an exception.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from satchel.mail.mime.charsets import decode_text, decode_words, unfold

_SECTION = re.compile(r"^(.*?)\*(\d{1,3})\*?$")


def strip_comments(value: str) -> str:
    """Remove RFC 5322 comments (nested ones too), leaving quoted strings intact."""
    if "(" not in value:
        return value
    out: list[str] = []
    depth = 0
    quoted = False
    escaped = False
    for ch in value:
        if escaped:
            escaped = False
            if depth == 0:
                out.append(ch)
            continue
        if ch == "\\":
            escaped = True
            if depth == 0:
                out.append(ch)
            continue
        if quoted:
            out.append(ch)
            if ch == '"':
                quoted = False
        elif ch == "(":
            depth += 1
        elif ch == ")" and depth:
            depth -= 1
        elif depth == 0:
            out.append(ch)
            if ch == '"':
                quoted = True
    return "".join(out)


def _split_params(value: str) -> list[str]:
    """Split at semicolons outside quoted strings."""
    if '"' not in value:
        return value.split(";")
    items: list[str] = []
    buf: list[str] = []
    quoted = False
    escaped = False
    for ch in value:
        if escaped:
            buf.append(ch)
            escaped = False
        elif ch == "\\" and quoted:
            buf.append(ch)
            escaped = True
        elif ch == '"':
            buf.append(ch)
            quoted = not quoted
        elif ch == ";" and not quoted:
            items.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    items.append("".join(buf))
    return items


def _unquote(value: str) -> tuple[str, bool]:
    value = value.strip()
    if value.startswith('"'):
        inner = value[1:-1] if len(value) > 1 and value.endswith('"') else value[1:]
        return re.sub(r"\\(.)", r"\1", inner, flags=re.S), True
    return value, False


def parse_structured(raw: str) -> tuple[str, dict[str, str]]:
    """`value; a=b; c*=utf-8''x%20y` -> ("value" lowercased, {"a": "b", "c": "x y"}).

    Parameter names are lowercased; RFC 2231 sections are joined in order and decoded with the
    charset of section 0; a plain value that holds RFC 2047 encoded words is decoded too."""
    text = strip_comments(unfold(raw))
    items = _split_params(text)
    main = "".join(items[0].split()).lower()
    plain: dict[str, str] = {}
    sections: dict[str, dict[int, tuple[str, bool]]] = {}
    extended: dict[str, str] = {}
    for item in items[1:]:
        attr, sep, val = item.partition("=")
        attr = attr.strip().lower()
        if not sep or not attr:
            continue
        value, quoted = _unquote(val)
        m = _SECTION.match(attr)
        if m:
            sections.setdefault(m.group(1), {})[int(m.group(2))] = (value, attr.endswith("*"))
        elif attr.endswith("*"):
            extended[attr[:-1]] = value
        elif attr not in plain:
            plain[attr] = value if quoted else value.strip()
    params: dict[str, str] = {}
    for attr, value in plain.items():
        params[attr] = decode_words(value) if "=?" in value else value
    for attr, parts in sections.items():
        params[attr] = _join_sections(parts)
    for attr, value in extended.items():
        params[attr] = _decode_extended(value, first=True)[0]
    return main, params


def _decode_extended(value: str, first: bool, charset: str | None = None) -> tuple[str, str | None]:
    """RFC 2231 section 4: [charset "'" [language] "'"] %-encoded octets."""
    if first:
        pieces = value.split("'", 2)
        if len(pieces) == 3:
            charset, value = pieces[0] or None, pieces[2]
    data = unquote_to_bytes(value)
    text, _problem = decode_text(data, charset or "utf-8")
    return text, charset


def _join_sections(parts: dict[int, tuple[str, bool]]) -> str:
    """RFC 2231 section 3: name*0, name*1, ... concatenated; encoded sections decoded as one
    octet string so a multi-byte character may span sections."""
    charset: str | None = None
    out: list[str] = []
    pending = bytearray()
    for index in sorted(parts):
        value, encoded = parts[index]
        if encoded:
            if index == 0 or (index == min(parts) and value.count("'") >= 2):
                pieces = value.split("'", 2)
                if len(pieces) == 3:
                    charset, value = pieces[0] or None, pieces[2]
            pending += unquote_to_bytes(value)
        else:
            if pending:
                out.append(decode_text(bytes(pending), charset or "utf-8")[0])
                pending.clear()
            out.append(value)
    if pending:
        out.append(decode_text(bytes(pending), charset or "utf-8")[0])
    joined = "".join(out)
    return decode_words(joined) if "=?" in joined else joined
