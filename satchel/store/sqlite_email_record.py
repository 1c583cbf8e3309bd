"""An Email's record holds only what never changes; its keywords and mailboxIds, the only
properties a client can change (RFC 8621 section 4.1), live in the mail index alone
(`email_keywords`, `email_mailboxes`), which every change writes anyway.

So marking an Email read writes a few small index rows instead of rewriting a ~5 KB JSON record
(which spills into overflow pages: a flag flip dirtied 19 pages, 5 of them for the record), and
a record once decoded stays valid in the decoded cache for good. Reading an Email puts the two
properties back from the index in the same statement; keywords come back lowercase, as section
4.1.1 requires.
"""

from __future__ import annotations

from typing import Any, Final

from satchel.store.base import JsonObject

EMAIL: Final = "Email"
INDEXED_PROPERTIES: Final = ("keywords", "mailboxIds")

RECORDS_SELECT: Final = (
    "SELECT r.id, r.data, r.created_modseq, r.updated_modseq FROM records AS r"
    " WHERE r.account_id = ? AND r.type = ? AND r.destroyed_modseq IS NULL"
)
# An Email's keywords and mailbox ids from the index, for the `emails AS e` row of a statement.
# They never hold a space (section 4.1.1; ids are base64url): a space-separated list is the
# cheapest form to carry them out of SQLite (`listed` reads it back).
KEYWORDS_OF_E: Final = (
    "(SELECT group_concat(k.keyword, ' ') FROM email_keywords AS k WHERE k.num = e.num)"
)
MAILBOXES_OF_E: Final = (
    "(SELECT group_concat(m.mailbox_id, ' ') FROM email_mailboxes AS m WHERE m.num = e.num)"
)
EMAIL_RECORDS_SELECT: Final = (
    f"SELECT r.id, r.data, r.created_modseq, r.updated_modseq, {KEYWORDS_OF_E}, {MAILBOXES_OF_E}"
    " FROM records AS r LEFT JOIN emails AS e ON e.account_id = r.account_id AND e.id = r.id"
    " WHERE r.account_id = ? AND r.type = ? AND r.destroyed_modseq IS NULL"
)


def stored_email(data: JsonObject) -> JsonObject:
    """What the record keeps of an Email: everything but the indexed properties."""
    return {k: v for k, v in data.items() if k not in INDEXED_PROPERTIES}


def listed(value: str | None) -> list[str]:
    """The items of a `KEYWORDS_OF_E` or `MAILBOXES_OF_E` list (NULL when there are none)."""
    return value.split() if value else []


def _flags(value: str | None) -> dict[str, bool]:
    return dict.fromkeys(listed(value), True)


def with_flags(stored: JsonObject, row: Any, *, in_place: bool) -> JsonObject:
    """The whole Email from its record and an `EMAIL_RECORDS_SELECT` row. `in_place` only for a
    freshly decoded `stored`: a shared (cached) one is copied."""
    data = stored if in_place else dict(stored)
    data["keywords"] = _flags(row[4])
    data["mailboxIds"] = _flags(row[5])
    return data
