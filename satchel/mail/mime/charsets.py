"""Charsets and RFC 2047 encoded words: bytes in a declared charset -> str, best effort.

Mail in the wild names charsets loosely ("utf8", "gb2312" for GBK text, "iso-8859-1" for
windows-1252 text, made-up names). Names resolve through Python's codec registry (which the
stdlib `email` package also relies on) plus the aliases mail needs; a charset that is not a
text codec is unknown. Unknown charsets fall back to UTF-8, then windows-1252, and are reported
as an encoding problem (RFC 8621 section 4.1.4, EmailBodyValue.isEncodingProblem).
"""

from __future__ import annotations

import binascii
import codecs
import re
import unicodedata
from functools import lru_cache

# Labels whose real-world content is a superset charset (as the WHATWG Encoding standard does).
_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "euc-cn": "gb18030",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "euc-kr": "cp949",
    "iso-2022-jp": "iso2022_jp_ext",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "windows-31j": "cp932",
    "tis-620": "cp874",
    "iso-8859-11": "cp874",
    "x-mac-roman": "mac_roman",
    "macintosh": "mac_roman",
    "unicode-1-1-utf-7": "utf-7",
    "utf8": "utf-8",
}
_SURROGATE = re.compile("[\ud800-\udfff]")
# Codecs Python knows that are not charsets a message can be written in.
_NOT_MAIL_CHARSETS = frozenset(
    {"unicode-escape", "raw-unicode-escape", "idna", "punycode", "undefined", "mbcs", "oem"}
)


@lru_cache(maxsize=256)
def codec_for(charset: str | None) -> str | None:
    """The Python codec name for a MIME charset label, or None if it is unknown."""
    if not charset:
        return None
    label = charset.strip().strip("\"'").strip().lower()
    if not label or len(label) > 64:
        return None
    label = _ALIASES.get(label, label)
    try:
        info = codecs.lookup(label)
    except (LookupError, ValueError):
        return None
    if not getattr(info, "_is_text_encoding", True) or (
        info.name.replace("_", "-") in _NOT_MAIL_CHARSETS
    ):
        return None
    if info.name in ("ascii", "us-ascii"):
        return "ascii"
    if info.name == "iso8859-1":
        return "latin-1"
    return info.name


def decode_text(data: bytes, charset: str | None) -> tuple[str, bool]:
    """Decode `data` declared in `charset`; returns (text, is_encoding_problem).

    Text labelled (or defaulting to) US-ASCII that holds 8-bit octets is read as UTF-8 if it is
    valid UTF-8, else as windows-1252; only the charset being unknown, or octets that are
    invalid in the declared charset, count as a problem."""
    codec = codec_for(charset)
    if codec == "ascii" or (codec is None and not charset):
        if data.isascii():
            return data.decode("ascii"), False
        try:
            return data.decode("utf-8"), False
        except UnicodeDecodeError:
            return _decode_loose(data), codec is None and bool(charset)
    if codec is None:
        try:
            return data.decode("utf-8"), True
        except UnicodeDecodeError:
            return _decode_loose(data), True
    if codec == "utf-7":
        return _decode_utf7(data)
    if codec in ("latin-1", "cp1252"):
        # Mail labelled ISO-8859-1 is mostly windows-1252 (its curly quotes, the euro sign), as
        # the WHATWG Encoding standard reads it; every octet has a meaning either way.
        return _decode_loose(data), False
    try:
        return data.decode(codec), False
    except UnicodeDecodeError:
        pass
    except Exception:  # a codec that fails in an unexpected way is an unknown charset
        return _decode_loose(data), True
    try:
        return data.decode(codec, "replace"), True
    except Exception:
        return _decode_loose(data), True


def _decode_utf7(data: bytes) -> tuple[str, bool]:
    """UTF-7 can encode lone surrogates, which no JSON encoder accepts: they become U+FFFD."""
    text = data.decode("utf-7", "replace")
    clean = _SURROGATE.sub("\ufffd", text)
    return clean, clean != text or "\ufffd" in text


def _decode_loose(data: bytes) -> str:
    """windows-1252 with its five undefined octets read as latin-1: never fails."""
    return data.decode("cp1252", _AS_LATIN1)


def _latin1_fallback(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return error.object[error.start : error.end].decode("latin-1"), error.end


_AS_LATIN1 = "satchel-mime-as-latin-1"
codecs.register_error(_AS_LATIN1, _latin1_fallback)


def decode_utf8_header(data: bytes) -> str:
    """RFC 8621 section 4.1.2.1 (Raw): octets -> str, invalid UTF-8 replaced by U+FFFD, NUL
    octets dropped."""
    if b"\x00" in data:
        data = data.replace(b"\x00", b"")
    if data.isascii():
        return data.decode("ascii")
    return data.decode("utf-8", "replace")


# RFC 2047 section 2: encoded-word = "=?" charset ["*" language] "?" encoding "?" text "?="
_ENCODED_WORD = re.compile(r"=\?([^?\s*]+)(?:\*[^?\s]*)?\?([bBqQ])\?([^?\s]*)\?=")
_Q_ESCAPE = re.compile(rb"=([0-9A-Fa-f]{2})")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_FWS = re.compile(r"\r?\n(?=[ \t])")


def unfold(value: str) -> str:
    """RFC 5322 section 2.2.3: remove the CRLF of each folded line (the WSP after it stays);
    bare line ends left by broken folding are dropped too."""
    if "\n" not in value and "\r" not in value:
        return value
    value = _FWS.sub("", value)
    return value.replace("\r\n", "").replace("\n", "").replace("\r", "")


def _decode_word(charset: str, encoding: str, text: str) -> str | None:
    codec = codec_for(charset)
    if codec is None:
        return None  # RFC 8621 section 4.1.2.2: only known charsets are decoded
    raw = text.encode("ascii", "replace")
    if encoding in "bB":
        raw = raw.rstrip(b"=")
        raw = raw[: len(raw) - len(raw) % 4] if len(raw) % 4 == 1 else raw
        try:
            data = binascii.a2b_base64(raw + b"=" * (-len(raw) % 4))
        except (binascii.Error, ValueError):
            return None
    else:
        data = _Q_ESCAPE.sub(lambda m: bytes((int(m.group(1), 16),)), raw.replace(b"_", b" "))
    decoded, _problem = decode_text(data, codec)
    # RFC 8621 section 4.1.2.2: NUL and control characters encoded per RFC 2047 are dropped.
    return _CONTROL.sub("", decoded)


def decode_words(value: str) -> str:
    """Decode the RFC 2047 encoded words in an unfolded header value.

    An encoded word is decoded only where RFC 2047 allows it: delimited by white space, the
    value's ends, or parentheses and quotes (so "foo=?utf-8?q?x?=" stays as it is). White space
    between two adjacent encoded words is dropped (RFC 2047 section 6.2)."""
    if "=?" not in value:
        return value
    out: list[str] = []
    pos = 0
    last_was_word = False
    for m in _ENCODED_WORD.finditer(value):
        start, end = m.span()
        before = value[start - 1] if start > 0 else " "
        after = value[end] if end < len(value) else " "
        if not (before in ' \t"(' and after in ' \t")'):
            continue
        decoded = _decode_word(m.group(1), m.group(2), m.group(3))
        if decoded is None:
            continue
        gap = value[pos:start]
        if not (last_was_word and gap.strip(" \t") == ""):
            out.append(gap)
        out.append(decoded)
        pos = end
        last_was_word = True
    out.append(value[pos:])
    return "".join(out)


def header_text(value: str) -> str:
    """RFC 8621 section 4.1.2.2 (Text): unfold, drop the leading SP, decode encoded words, NFC."""
    text = decode_words(unfold(value).lstrip(" "))
    return unicodedata.normalize("NFC", text)
