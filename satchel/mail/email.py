"""Email (RFC 8621 section 4): the declaration the standard methods run from and its hooks.

Everything of an Email but `mailboxIds` and `keywords` is immutable and comes from ingest.
/query runs in the store (`query_emails`, full text and thread-aware sorts in SQL, the page
windowed there too); /set updates mailboxIds and keywords (whole or by patch paths such as
`keywords/$seen`) and destroys; /get's body values and header forms are added by
`satchel.mail.email_get`."""

from __future__ import annotations

import re
from typing import Any, Final, cast

from satchel.core.datatype import (
    AnyJson,
    Boolean,
    Comparator,
    DataType,
    Filter,
    FilterCondition,
    FilterNode,
    Hooks,
    Id,
    IdSet,
    Invalid,
    Property,
    QueryPage,
    QueryScope,
    QueryWindow,
    SetScope,
    Sort,
    String,
    UnsignedInt,
    UTCDate,
    list_of,
    map_of,
)
from satchel.core.errors import MethodError, SetError, invalid_arguments, invalid_properties
from satchel.core.registry import MethodSpec, Registry
from satchel.core.standard.register import register_type
from satchel.mail.header_forms import is_header_property
from satchel.mail.limits import MAX_MAILBOXES_PER_EMAIL
from satchel.mail.mail_txn import mail, release_email
from satchel.mail.uris import MAIL
from satchel.store.base import Record
from satchel.store.mail_base import EmailQuery, EmailQueryResult, MailReadTxn, UnsupportedFilter

JsonObject = dict[str, Any]
NAME: Final = "Email"

# RFC 8621 section 4.1.1: keyword characters (IMAP atom minus "]", plus "$" prefixes).
_KEYWORD_RE: Final = re.compile(r"[\x21-\x7e]{1,255}")
_KEYWORD_FORBIDDEN: Final = frozenset('(){]%*"\\')


def keyword(value: Any, resolve: Any, /) -> str:
    """A keyword, lowercased (keywords are case-insensitive, section 4.1.1)."""
    if not isinstance(value, str) or not _KEYWORD_RE.fullmatch(value):
        raise Invalid("a keyword is 1 to 255 printable ASCII characters")
    if any(c in _KEYWORD_FORBIDDEN for c in value):
        raise Invalid('a keyword must not contain ( ) { ] % * " \\')
    return value.lower()


def _true(value: Any, resolve: Any, /) -> bool:
    if value is not True:
        raise Invalid("set members must map to true")
    return True


Keywords: Final = map_of(keyword, _true)


def _header_filter(value: Any, resolve: Any, /) -> list[str]:
    items: list[str] = list_of(String)(value, resolve)
    if not 1 <= len(items) <= 2 or not items[0]:
        raise Invalid("header is [name] or [name, text]")
    return items


def _in_store(obj: JsonObject, argument: Any) -> bool:
    raise RuntimeError("Email filters run in the store (query_emails)")


_MUTABLE_FILTERS: Final = {
    "inMailbox": Id,
    "inMailboxOtherThan": list_of(Id),
    "allInThreadHaveKeyword": keyword,
    "someInThreadHaveKeyword": keyword,
    "noneInThreadHaveKeyword": keyword,
    "hasKeyword": keyword,
    "notKeyword": keyword,
}
_IMMUTABLE_FILTERS: Final = {
    "before": UTCDate,
    "after": UTCDate,
    "minSize": UnsignedInt,
    "maxSize": UnsignedInt,
    "hasAttachment": Boolean,
    "text": String,
    "from": String,
    "to": String,
    "cc": String,
    "bcc": String,
    "subject": String,
    "body": String,
    "header": _header_filter,
}
KEYWORD_SORTS: Final = frozenset(
    {"hasKeyword", "allInThreadHaveKeyword", "someInThreadHaveKeyword"}
)
_IMMUTABLE_SORTS: Final = ("receivedAt", "sentAt", "size", "from", "to", "subject")


# --- /query -------------------------------------------------------------------------------------


def plain_filter(node: FilterNode) -> Any:
    if isinstance(node, FilterCondition):
        return dict(node.conditions)
    return {"operator": node.operator, "conditions": [plain_filter(n) for n in node.conditions]}


def email_sort(sort: list[Comparator]) -> tuple[tuple[str, bool, str | None], ...]:
    """Comparators as the store takes them; a keyword sort needs a valid `keyword`
    (RFC 8621 section 4.4.2)."""
    out = []
    for comparator in sort:
        word = None
        if comparator.property in KEYWORD_SORTS:
            try:
                word = keyword(comparator.extra.get("keyword"), None)
            except Invalid:
                raise invalid_arguments(
                    f"sorting on {comparator.property} needs a valid keyword"
                ) from None
        out.append((comparator.property, comparator.is_ascending, word))
    return tuple(out)


def _query_emails(
    scope: QueryScope,
    node: FilterNode | None,
    sort: list[Comparator],
    window: QueryWindow | None,
) -> EmailQueryResult:
    """The store's query; window None: every matching id in order."""
    query = EmailQuery(
        filter=None if node is None else plain_filter(node),
        sort=email_sort(sort),
        collapse_threads=bool(scope.arguments.get("collapseThreads")),
    )
    txn = cast(MailReadTxn, scope.txn)
    if window is None:
        window = QueryWindow(0, 0, None, 0, False)
        limit = None
    else:
        limit = window.limit
    try:
        return txn.query_emails(
            scope.account_id,
            query,
            window.position,
            limit,
            window.anchor,
            window.anchor_offset,
            window.calculate_total,
        )
    except UnsupportedFilter as exc:  # RFC 8620 section 5.5
        raise MethodError("unsupportedFilter", str(exc) or None) from None


def email_query(scope: QueryScope, node: FilterNode | None, sort: list[Comparator]) -> list[str]:
    """Every matching id in order (what /queryChanges needs)."""
    return _query_emails(scope, node, sort, None).ids


def email_query_window(
    scope: QueryScope, node: FilterNode | None, sort: list[Comparator], window: QueryWindow
) -> QueryPage:
    """The page /query asks for, windowed in SQL (`query_emails` does RFC 8620 section 5.5):
    an Inbox page no longer reads the whole sorted id list."""
    result = _query_emails(scope, node, sort, window)
    return QueryPage(result.ids, result.position, result.total, result.anchor_found)


# --- /set ---------------------------------------------------------------------------------------


def _on_create(scope: SetScope, obj: JsonObject) -> JsonObject | None:
    # Creates are composed outside the generic /set (satchel.mail.email_set); a create that
    # reaches the generic path (Email/copy, not offered) is refused.
    raise SetError("forbidden", "Emails are created by Email/set's compose path")


def _on_update(scope: SetScope, email_id: str, old: JsonObject, new: JsonObject) -> None:
    mailbox_ids = new["mailboxIds"]
    # RFC 8621 section 4.1.1: an Email belongs to at least one Mailbox at all times.
    if not mailbox_ids:
        raise invalid_properties("an Email must be in at least one mailbox", "mailboxIds")
    if len(mailbox_ids) > MAX_MAILBOXES_PER_EMAIL:
        raise invalid_properties(
            f"an Email may be in at most {MAX_MAILBOXES_PER_EMAIL} mailboxes", "mailboxIds"
        )
    if mailbox_ids == old["mailboxIds"] and new["keywords"] == old["keywords"]:
        return None
    mail(scope.txn).set_email_flags(email_id, sorted(mailbox_ids), sorted(new["keywords"]))
    return None


_KEYWORD_PATH: Final = "keywords/"


def _on_patch(scope: SetScope, email_id: str, patch: Any) -> bool:
    """Setting and clearing keywords by path (`keywords/$seen: true`, the commonest write a mail
    client makes) straight on the mail index: the record is immutable, so the generic path would
    read and decode its ~5 KB only to compare it. Anything else, or anything the generic path
    would treat differently (a keyword it would reject or fold, a pointer escape, a value other
    than true or null), goes the generic way."""
    if not isinstance(patch, dict) or not patch:
        return False
    added: set[str] = set()
    removed: set[str] = set()
    for path, value in patch.items():
        if not isinstance(path, str) or not path.startswith(_KEYWORD_PATH):
            return False
        name = path[len(_KEYWORD_PATH) :]
        if "/" in name or "~" in name or name != name.lower():
            return False
        if value is not True and value is not None:
            return False
        try:
            keyword(name, None)
        except Invalid:
            return False
        (added if value else removed).add(name)
    try:
        changed = mail(scope.txn).change_email_keywords(email_id, added, removed)
    except KeyError:
        raise SetError("notFound", f"no {NAME} {email_id}") from None
    if changed:  # else, as in the generic path, no new state
        scope.txn.update_record(NAME, email_id, {})
    return True


def _on_destroy(scope: SetScope, record: Record) -> None:
    release_email(scope.txn, record.id, record.data)


def _immutable(value_type: Any = AnyJson) -> Property:
    return Property(value_type, nullable=True, immutable=True, default=None)


EMAIL: Final = DataType(
    name=NAME,
    capability=MAIL,
    properties={
        # RFC 8621 section 4.1.1: metadata.
        "blobId": Property(Id, server_set=True, nullable=True),
        "threadId": Property(Id, server_set=True, nullable=True),
        "mailboxIds": Property(IdSet, default={}, ref="Mailbox"),
        "keywords": Property(Keywords, default={}),
        "size": Property(UnsignedInt, server_set=True, default=0),
        "receivedAt": Property(UTCDate, immutable=True, nullable=True),
        # Section 4.1.2-4.1.3: header fields.
        "headers": Property(AnyJson, server_set=True, default=[]),
        "messageId": _immutable(),
        "inReplyTo": _immutable(),
        "references": _immutable(),
        "sender": _immutable(),
        "from": _immutable(),
        "to": _immutable(),
        "cc": _immutable(),
        "bcc": _immutable(),
        "replyTo": _immutable(),
        "subject": _immutable(),
        "sentAt": _immutable(),
        # Section 4.1.4: body parts.
        "bodyStructure": _immutable(),
        "bodyValues": Property(AnyJson, server_set=True, default={}),
        "textBody": Property(AnyJson, immutable=True, default=[]),
        "htmlBody": Property(AnyJson, immutable=True, default=[]),
        "attachments": Property(AnyJson, immutable=True, default=[]),
        "hasAttachment": Property(Boolean, server_set=True, default=False),
        "preview": Property(String, server_set=True, default=""),
    },
    filters={
        **{name: Filter(v, _in_store) for name, v in _MUTABLE_FILTERS.items()},
        **{name: Filter(v, _in_store, immutable=True) for name, v in _IMMUTABLE_FILTERS.items()},
    },
    sorts={
        **{name: Sort(immutable=True) for name in _IMMUTABLE_SORTS},
        **{name: Sort() for name in KEYWORD_SORTS},
    },
    methods=frozenset({"get", "changes", "set", "query", "queryChanges"}),
    get_arguments={
        "bodyProperties": list_of(String),
        "fetchTextBodyValues": Boolean,
        "fetchHTMLBodyValues": Boolean,
        "fetchAllBodyValues": Boolean,
        "maxBodyValueBytes": UnsignedInt,
    },
    query_arguments={"collapseThreads": Boolean},
    hooks=Hooks(
        on_create=_on_create,
        on_update=_on_update,
        on_patch=_on_patch,
        on_destroy=_on_destroy,
        query=email_query,
        query_window=email_query_window,
    ),
    get_all=False,
    dynamic_property=is_header_property,
)


def register_email_methods(registry: Registry, domain: str) -> None:
    """Email's standard methods, with Email/get extended for body values and header forms and
    Email/set for creates (`domain` names generated Message-IDs)."""
    from satchel.mail.email_get import email_get
    from satchel.mail.email_set import email_set_handler

    register_type(registry, EMAIL)
    registry.methods["Email/get"] = MethodSpec(name="Email/get", capability=MAIL, handler=email_get)
    registry.methods["Email/set"] = MethodSpec(
        name="Email/set", capability=MAIL, handler=email_set_handler(domain)
    )
