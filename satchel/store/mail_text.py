"""Search text for the mail index, as pure functions: RFC 8621 section 4.4.1 search strings to
FTS5 MATCH expressions that user input can never break, and FTS5 highlight/snippet output to the
HTML that SearchSnippet (RFC 8621 section 5) wants."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Final

# What highlight()/snippet() put around matches: control characters that never reach the
# client (stray ones from stored text are dropped when rendering).
MARK_OPEN: Final = "\x02"
MARK_CLOSE: Final = "\x03"

# FTS5 column names of email_fts (0002_mail.sql), by the filter that searches them.
TEXT_COLUMNS: Final = ("f_from", "f_to", "f_cc", "f_bcc", "f_subject", "f_body", "f_attachments")
COLUMN_OF: Final = {
    "from": "f_from",
    "to": "f_to",
    "cc": "f_cc",
    "bcc": "f_bcc",
    "subject": "f_subject",
    "body": "f_body",
}
PREVIEW_MAX_OCTETS: Final = 255  # RFC 8621 section 5: preview MUST NOT exceed 255 octets
MIN_PREFIX: Final = 3
_WORD: Final = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class Term:
    text: str
    phrase: bool  # quoted in the search string: matched as an exact word sequence


def parse_search(text: str) -> list[Term]:
    """Split a search string as RFC 8621 section 4.4.1 says: text in matched single or double
    quotes is a phrase (backslash escapes ' " and \\ inside it); outside, white space separates
    tokens that must all be present. A quote only opens a phrase at the start of a token, so
    "don't" stays one token; a quote with no partner is an ordinary character."""
    text = text.replace("\x00", " ")  # FTS5 reads its query as a C string: NUL would end it
    terms: list[Term] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        if text[i] in "\"'":
            phrase = _read_phrase(text, i)
            if phrase is not None:
                value, i = phrase
                terms.append(Term(value, True))
                continue
        start = i
        while i < n and not text[i].isspace():
            i += 1
        terms.append(Term(text[start:i], False))
    return terms


def _read_phrase(text: str, start: int) -> tuple[str, int] | None:
    quote = text[start]
    out: list[str] = []
    i = start + 1
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text) and text[i + 1] in "'\"\\":
            out.append(text[i + 1])
            i += 2
            continue
        if char == quote:
            return "".join(out), i + 1
        out.append(char)
        i += 1
    return None


def _searchable(value: str) -> bool:
    # The unicode61 tokenizer keeps letters and digits; a term with neither is an empty phrase,
    # which matches nothing and would turn the whole AND false.
    return any(char.isalnum() for char in value)


def _literal(term: Term) -> str:
    # An FTS5 string: everything inside double quotes is text for the tokenizer, never syntax
    # (NEAR, AND, *, -, parentheses, column filters); a double quote is escaped by doubling it.
    quoted = '"' + term.text.replace('"', '""') + '"'
    return quoted + "*" if _is_prefix(term) else quoted


def _is_prefix(term: Term) -> bool:
    """Bare tokens match as word prefixes ("foo" finds "Foosball"), once their last word has
    MIN_PREFIX characters: a 2-letter prefix matches nearly every Email and cost 100 ms at 100k
    Emails, so shorter words match whole."""
    if term.phrase:
        return False
    words = _WORD.findall(term.text)
    return bool(words) and len(words[-1]) >= MIN_PREFIX


# Lists the other index terms that begin with a lowercase ASCII word, or None (see below).
PrefixWords = Callable[[str], list[str] | None]


def match_terms(text: str, prefix_words: PrefixWords | None = None) -> list[str]:
    """The FTS5 literals of a search string (empty when nothing in it is searchable).

    A word-prefix term makes FTS5 merge the postings of every term with that prefix before the
    first match comes out: 3 ms at 100k Emails for "invoice" (in half of them), 0.04 ms for the
    whole word, which FTS5 reads lazily, newest first, stopping after a page. So when
    `prefix_words` can list the other terms with the prefix (cheaply: few and rare), the term
    becomes an OR of those whole words, which matches exactly the same Emails. Only plain ASCII
    words are expanded: for them the tokenizer's folding is lowercasing, so the listed terms are
    the ones the prefix would match."""
    literals = []
    for term in parse_search(text):
        if not _searchable(term.text):
            continue
        literal = None
        if prefix_words is not None and _is_prefix(term):
            word = term.text.lower()
            if word.isascii() and word.isalnum():
                others = prefix_words(word)
                if others is not None:
                    literal = " OR ".join(_literal(Term(w, True)) for w in [word, *others])
                    literal = f"({literal})" if others else literal
        literals.append(literal or _literal(term))
    return literals


def match_expression(
    text: str, columns: Sequence[str], prefix_words: PrefixWords | None = None
) -> str | None:
    """An FTS5 MATCH expression requiring every term of `text` in any of `columns`, or None when
    the text holds nothing searchable (such a condition matches no Email)."""
    literals = match_terms(text, prefix_words)
    if not literals:
        return None
    # FTS5 joins bare phrases by juxtaposition, but a parenthesised group needs an explicit AND.
    joined = (" AND " if any(lit.startswith("(") for lit in literals) else " ").join(literals)
    return "{" + " ".join(columns) + "} : (" + joined + ")"


def header_expression(name: str, value: str) -> str | None:
    """FTS5 expression for the `header` filter's [name, value]: the header name and the value's
    terms anywhere in the indexed header lines (None if the value has nothing searchable). It
    only narrows the candidates; `header_contains` then checks they are in one field of that
    name, however long."""
    literals = match_terms(value)
    if not literals:
        return None
    parts = ['"' + name.replace('"', '""') + '"'] if _searchable(name) else []
    return "{f_headers} : (" + " ".join(parts + literals) + ")"


_NEEDLE_SEPARATOR: Final = "\x1f"


def header_needles(value: str) -> str:
    """The `header` filter's text as `header_contains` wants it: its searchable terms (a
    quoted phrase is one), folded as the index folds words."""
    needles = (" ".join(fold(t.text).split()) for t in parse_search(value) if _searchable(t.text))
    return _NEEDLE_SEPARATOR.join(needles)


def header_contains(header_lines: str | None, name: str, needles: str) -> bool:
    """Whether one field called `name` (lowercase) among the indexed "name: value" lines holds
    every needle of `header_needles`; the SQL function behind the `header` filter's value.
    RFC 8621 section 4.4.1 asks for the text "in the header field value": the terms of one
    field, not of neighbouring ones, and anywhere in it."""
    if not header_lines:
        return False
    prefix = name + ": "
    wanted = needles.split(_NEEDLE_SEPARATOR)
    for line in header_lines.split("\n"):
        if line[: len(prefix)].lower() == prefix:
            text = " ".join(fold(line[len(prefix) :]).split())
            if all(needle in text for needle in wanted):
                return True
    return False


# --- highlighting (SearchSnippet) ---------------------------------------------------------------
# Done here rather than with FTS5's highlight()/snippet(): those must re-run the MATCH for each
# Email, and a prefix term cannot seek to one rowid (2 ms per Email for a common word, against
# 0.05 ms to read the text and mark it here). Words are compared as the unicode61 tokenizer
# with remove_diacritics compares them: case-folded, without combining marks.

SCAN_LIMIT: Final = 65_536  # characters of a body searched for the preview
PREVIEW_LEAD: Final = 40  # characters of context kept before the first match


def fold(word: str) -> str:
    if word.isascii():
        return word.lower()
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass(frozen=True, slots=True)
class Highlighter:
    """Which words to mark: a word matches a bare search token as a prefix (as the MATCH does,
    from MIN_PREFIX characters on) and a word of a quoted phrase exactly."""

    prefixes: tuple[str, ...]
    words: frozenset[str]

    @classmethod
    def of(cls, texts: Iterable[str]) -> Highlighter:
        prefixes: list[str] = []
        words: set[str] = set()
        for text in texts:
            for term in parse_search(text):
                for token in _WORD.findall(term.text):
                    if term.phrase or len(token) < MIN_PREFIX:
                        words.add(fold(token))
                    else:
                        prefixes.append(fold(token))
        return cls(tuple(dict.fromkeys(prefixes)), frozenset(words))

    def __bool__(self) -> bool:
        return bool(self.prefixes or self.words)

    def matches(self, word: str) -> bool:
        folded = fold(word)
        return folded in self.words or folded.startswith(self.prefixes)

    def mark(self, text: str) -> tuple[str, int] | None:
        """The text with MARK_OPEN/MARK_CLOSE around matching words and the offset of the
        first match, or None when nothing matches."""
        out: list[str] = []
        last = 0
        first = -1
        for found in _WORD.finditer(text):
            if not self.matches(found.group()):
                continue
            if first < 0:
                first = found.start()
            out.extend((text[last : found.start()], MARK_OPEN, found.group(), MARK_CLOSE))
            last = found.end()
        if first < 0:
            return None
        out.append(text[last:])
        return "".join(out), first


def highlight_subject(highlighter: Highlighter, subject: str) -> str | None:
    """RFC 8621 section 5 `subject`: escaped, matches marked; None when nothing matches."""
    marked = highlighter.mark(subject) if highlighter else None
    return None if marked is None else render_marked(marked[0])


def highlight_preview(highlighter: Highlighter, body: str) -> str | None:
    """RFC 8621 section 5 `preview`: the body from a little before the first match, white
    space collapsed, escaped, matches marked, at most 255 octets; None when nothing matches."""
    if not highlighter:
        return None
    text = body[:SCAN_LIMIT]
    first = next((m for m in _WORD.finditer(text) if highlighter.matches(m.group())), None)
    if first is None:
        return None
    start = max(0, first.start() - PREVIEW_LEAD)
    if start:
        boundary = _WORD.search(text, start)  # start on a whole word
        start = boundary.start() if boundary is not None else first.start()
    window = " ".join(text[start : first.start() + PREVIEW_MAX_OCTETS].split())
    marked = highlighter.mark(window)
    assert marked is not None
    lead = "\u2026" if start else ""
    return lead + render_marked(marked[0], PREVIEW_MAX_OCTETS - len(lead.encode("utf-8")))


def render_marked(marked: str, max_octets: int | None = None) -> str:
    """HTML-escape highlighted text, turning the marks into <mark></mark> (balanced, never
    nested), cut to at most `max_octets` UTF-8 octets without splitting an entity or a tag."""
    out: list[str] = []
    used = 0
    inside = False
    close = "</mark>"
    for char in marked:
        if char == MARK_OPEN:
            piece = "" if inside else "<mark>"
            opening = not inside
        elif char == MARK_CLOSE:
            piece = close if inside else ""
            opening = False
        else:
            piece = html.escape(char)
            opening = False
        if not piece:
            continue
        size = len(piece.encode("utf-8"))
        reserve = len(close) if inside or opening else 0
        if char == MARK_CLOSE:
            reserve = 0
        if max_octets is not None and used + size + reserve > max_octets:
            break
        out.append(piece)
        used += size
        if char == MARK_OPEN:
            inside = True
        elif char == MARK_CLOSE:
            inside = False
    if inside:
        out.append(close)
    return "".join(out)
