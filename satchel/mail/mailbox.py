"""Mailbox (RFC 8621 section 2): the declaration the standard methods run from, plus what a
table cannot say: counts and myRights computed on /get, `updatedProperties` on /changes, the
tree rules of /query (sortAsTree, filterAsTree) and the naming, tree and role rules of /set."""

from __future__ import annotations

from typing import Any, Final, cast

from satchel.core.context import RequestContext
from satchel.core.datatype import (
    AnyJson,
    Boolean,
    Comparator,
    DataType,
    Filter,
    FilterNode,
    GetScope,
    Hooks,
    Id,
    Invalid,
    Property,
    QueryScope,
    SetScope,
    Sort,
    String,
    UnsignedInt,
    nullable,
)
from satchel.core.errors import SetError, invalid_properties
from satchel.core.registry import MethodResponse, MethodSpec, Registry
from satchel.core.standard.querying import generic_query
from satchel.core.standard.register import register_type
from satchel.core.standard.set import set_
from satchel.mail.limits import MAX_MAILBOX_DEPTH, MAX_SIZE_MAILBOX_NAME
from satchel.mail.mail_txn import destroy_email_in_txn, mail, remove_email_from_mailbox
from satchel.mail.uris import MAIL
from satchel.store.base import Changes, ReadTxn, Record
from satchel.store.mail_base import MailReadTxn

JsonObject = dict[str, Any]
NAME: Final = "Mailbox"

# RFC 8621 section 2 (IANA "IMAP Mailbox Name Attributes", RFC 6154 and RFC 8457).
KNOWN_ROLES: Final = frozenset(
    {
        "all",
        "archive",
        "drafts",
        "flagged",
        "important",
        "inbox",
        "junk",
        "sent",
        "subscribed",
        "trash",
        "snoozed",
        "scheduled",
        "memos",
    }
)
COUNTS: Final = ("totalEmails", "unreadEmails", "totalThreads", "unreadThreads")

# The account owner may do everything (sharing comes later).
OWNER_RIGHTS: Final = {
    "mayReadItems": True,
    "mayAddItems": True,
    "mayRemoveItems": True,
    "maySetSeen": True,
    "maySetKeywords": True,
    "mayCreateChild": True,
    "mayRename": True,
    "mayDelete": True,
    "maySubmit": True,
}


def _role(value: Any, resolve: Any, /) -> str:
    role = String(value, resolve)
    if role not in KNOWN_ROLES:
        raise Invalid(f"unknown role {role!r}")
    return role


def _sort_order(value: Any, resolve: Any, /) -> int:
    number = UnsignedInt(value, resolve)
    if number >= 2**31:  # RFC 8621 section 2: 0 <= sortOrder < 2^31
        raise Invalid("sortOrder must be below 2^31")
    return number


# --- /get: counts and rights ------------------------------------------------------------------


def _on_get(scope: GetScope, objects: list[JsonObject]) -> None:
    wanted = scope.properties
    if wanted is None or any(name in wanted for name in COUNTS):
        txn = cast(MailReadTxn, scope.txn)
        counts = txn.mailbox_counts(scope.account_id, [o["id"] for o in objects])
        for obj in objects:
            found = counts.get(obj["id"])
            obj["totalEmails"] = found.total_emails if found else 0
            obj["unreadEmails"] = found.unread_emails if found else 0
            obj["totalThreads"] = found.total_threads if found else 0
            obj["unreadThreads"] = found.unread_threads if found else 0
    for obj in objects:
        obj["myRights"] = dict(OWNER_RIGHTS)


# --- /changes: updatedProperties (RFC 8621 section 2.2) -----------------------------------------


def _on_changes(txn: ReadTxn, account_id: str, since: int, changes: Changes) -> JsonObject:
    if not changes.updated:
        return {"updatedProperties": None}
    counted, other_changed = cast(MailReadTxn, txn).mailbox_changes_since(account_id, since)
    only_counts = not other_changed and set(changes.updated) <= counted
    return {"updatedProperties": list(COUNTS) if only_counts else None}


# --- /query: sortAsTree and filterAsTree (RFC 8621 section 2.3) ---------------------------------


def _query(scope: QueryScope, node: FilterNode | None, sort: list[Comparator]) -> list[str]:
    ids = generic_query(MAILBOX, scope, node, sort)
    sort_as_tree = bool(scope.arguments.get("sortAsTree"))
    filter_as_tree = bool(scope.arguments.get("filterAsTree"))
    if not (sort_as_tree or filter_as_tree):
        return ids
    parents = {
        r.id: r.data.get("parentId") for r in scope.txn.get_records(scope.account_id, NAME, None)
    }
    if filter_as_tree:
        included = set(ids)

        def ancestors_in(mailbox_id: str) -> bool:
            parent = parents.get(mailbox_id)
            seen = 0
            while parent is not None and seen <= len(parents):
                if parent not in included:
                    return False
                parent = parents.get(parent)
                seen += 1
            return True

        ids = [i for i in ids if ancestors_in(i)]
    if sort_as_tree:
        ids = _as_tree(ids, parents)
    return ids


def _as_tree(ids: list[str], parents: dict[str, str | None]) -> list[str]:
    """Depth-first order of the sorted ids: each parent before its children, siblings in the
    sorted order; a mailbox whose parent is not in the results starts a tree of its own."""
    present = set(ids)
    children: dict[str | None, list[str]] = {}
    for mailbox_id in ids:
        parent = parents.get(mailbox_id)
        children.setdefault(parent if parent in present else None, []).append(mailbox_id)
    out: list[str] = []
    stack = list(reversed(children.get(None, [])))
    while stack:
        mailbox_id = stack.pop()
        out.append(mailbox_id)
        stack.extend(reversed(children.get(mailbox_id, [])))
    return out


# --- /set rules (RFC 8621 section 2.5) ----------------------------------------------------------


def _check_name(name: str) -> None:
    if not name or len(name.encode("utf-8")) > MAX_SIZE_MAILBOX_NAME:
        raise invalid_properties(
            f"name must be 1 to {MAX_SIZE_MAILBOX_NAME} octets of UTF-8", "name"
        )
    if any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in name):
        raise invalid_properties("name must not contain control characters", "name")


def _check(scope: SetScope, mailbox_id: str | None, obj: JsonObject) -> None:
    """Name, sibling uniqueness, parent cycles, depth and role uniqueness for an object about to
    be written (mailbox_id None: being created)."""
    _check_name(obj["name"])
    others = [r for r in scope.txn.get_records(scope.account_id, NAME, None) if r.id != mailbox_id]
    parents: dict[str, str | None] = {r.id: r.data.get("parentId") for r in others}
    parent = obj.get("parentId")
    # RFC 8621 section 2: no two siblings with the same name.
    if any(r.data.get("parentId") == parent and r.data.get("name") == obj["name"] for r in others):
        raise invalid_properties("a sibling mailbox has this name", "name")
    depth = 1
    while parent is not None:
        if parent == mailbox_id or depth > len(parents) + 1:
            raise invalid_properties("a mailbox cannot be its own ancestor", "parentId")
        depth += 1
        parent = parents.get(parent)
    if depth > MAX_MAILBOX_DEPTH:
        raise invalid_properties(f"mailboxes nest at most {MAX_MAILBOX_DEPTH} deep", "parentId")
    role = obj.get("role")
    if role is not None and any(r.data.get("role") == role for r in others):
        raise invalid_properties(f"another mailbox has the role {role!r}", "role")


def _on_create(scope: SetScope, obj: JsonObject) -> JsonObject | None:
    _check(scope, None, obj)
    return None


def _on_update(scope: SetScope, mailbox_id: str, old: JsonObject, new: JsonObject) -> None:
    _check(scope, mailbox_id, new)
    return None


def _on_destroy(scope: SetScope, record: Record) -> None:
    txn = scope.txn
    mailboxes = txn.get_records(scope.account_id, NAME, None)
    if any(r.data.get("parentId") == record.id for r in mailboxes):
        raise SetError("mailboxHasChild", "the mailbox has child mailboxes")
    email_ids = mail(txn).emails_in_mailbox(scope.account_id, record.id)
    if email_ids and not scope.arguments.get("onDestroyRemoveEmails"):
        raise SetError("mailboxHasEmail", "the mailbox has emails (see onDestroyRemoveEmails)")
    # RFC 8621 section 2.5: emails leave the mailbox; those in no other mailbox are destroyed.
    for email_id in email_ids:
        if not remove_email_from_mailbox(txn, email_id, record.id):
            destroy_email_in_txn(txn, email_id)


MAILBOX: Final = DataType(
    name=NAME,
    capability=MAIL,
    small=True,
    # Counts move the Mailbox state (mark_mailbox_counts_changed) and myRights is the owner's.
    memo_get=True,
    properties={
        "name": Property(String, required_on_create=True),
        "parentId": Property(Id, default=None, nullable=True, ref=NAME),
        "role": Property(_role, default=None, nullable=True),
        "sortOrder": Property(_sort_order, default=0),
        "totalEmails": Property(UnsignedInt, default=0, server_set=True),
        "unreadEmails": Property(UnsignedInt, default=0, server_set=True),
        "totalThreads": Property(UnsignedInt, default=0, server_set=True),
        "unreadThreads": Property(UnsignedInt, default=0, server_set=True),
        "myRights": Property(AnyJson, default=dict(OWNER_RIGHTS), server_set=True),
        "isSubscribed": Property(Boolean, default=True),
    },
    filters={
        "parentId": Filter(nullable(Id), lambda o, arg: o["parentId"] == arg),
        "name": Filter(String, lambda o, arg: arg.casefold() in o["name"].casefold()),
        "role": Filter(nullable(String), lambda o, arg: o["role"] == arg),
        "hasAnyRole": Filter(Boolean, lambda o, arg: (o["role"] is not None) == arg),
        "isSubscribed": Filter(Boolean, lambda o, arg: o["isSubscribed"] == arg),
    },
    sorts={"sortOrder": Sort(), "name": Sort()},
    # RFC 8621 section 2: no Mailbox/copy.
    methods=frozenset({"get", "changes", "set", "query", "queryChanges"}),
    set_arguments={"onDestroyRemoveEmails": Boolean},
    query_arguments={"sortAsTree": Boolean, "filterAsTree": Boolean},
    hooks=Hooks(
        on_create=_on_create,
        on_update=_on_update,
        on_destroy=_on_destroy,
        on_get=_on_get,
        on_changes=_on_changes,
        query=_query,
    ),
)


async def mailbox_set(ctx: RequestContext, raw: JsonObject) -> list[MethodResponse]:
    """Mailbox/set with destroys ordered children first, so a client destroying a whole subtree
    in one call does not meet mailboxHasChild for a parent listed before its children."""
    destroy = raw.get("destroy") if isinstance(raw, dict) else None
    account_id = raw.get("accountId") if isinstance(raw, dict) else None
    if (
        isinstance(destroy, list)
        and len(destroy) > 1
        and all(isinstance(d, str) for d in destroy)
        and isinstance(account_id, str)
        and account_id in ctx.accounts
    ):

        def parents(txn: ReadTxn) -> dict[str, str | None]:
            return {r.id: r.data.get("parentId") for r in txn.get_records(account_id, NAME, None)}

        tree = await ctx.store.read(parents)

        def depth(mailbox_id: str) -> int:
            level, parent = 0, tree.get(mailbox_id)
            while parent is not None and level <= len(tree):
                level, parent = level + 1, tree.get(parent)
            return level

        raw = {**raw, "destroy": sorted(destroy, key=depth, reverse=True)}
    return await set_(MAILBOX, ctx, raw)


def register_mailbox(registry: Registry) -> None:
    register_type(registry, MAILBOX)
    registry.methods["Mailbox/set"] = MethodSpec(
        name="Mailbox/set", capability=MAIL, handler=mailbox_set
    )
