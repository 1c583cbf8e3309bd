"""Which addresses a user may send from (RFC 8621 sections 6 and 7: Identity `email`,
EmailSubmission `forbiddenFrom`/`forbiddenMailFrom`): the user's own address, its aliases and the
exact addresses or `*@domain` wildcards an admin granted with `satchel user sender add`.

"Own address" is NAME@domain (`recipients.primary_address`), the `email` the user was created
with, and NAME at every other local domain, since `recipients.resolve` delivers all of those to
the user: a user may always answer from an address that reaches them, subaddresses
(`NAME+detail@`) included. A grant may also be matched by an Identity whose `email` is itself a
wildcard (`*@domain`, RFC 8621 section 6). Comparison ignores case
(domains are case-insensitive, RFC 5321 section 2.4; local parts are compared the same way
everywhere in Satchel)."""

from __future__ import annotations

from satchel.config import Settings
from satchel.mail.recipients import (
    SUBADDRESS_SEPARATOR,
    local_domains,
    primary_address,
    split_address,
)
from satchel.store.base import ReadTxn

WILDCARD_PREFIX = "*@"


def normalise(address: str) -> str | None:
    """`local@domain` lowercased, or None when it is not an address."""
    parts = split_address(address)
    if parts is None:
        return None
    return f"{parts[0].lower()}@{parts[1]}"


def normalise_pattern(pattern: str) -> str | None:
    """A grant as stored: an address or `*@domain`, lowercased; None when it is neither."""
    parts = split_address(pattern)
    if parts is None or "@" in parts[0] or any(c.isspace() for c in pattern.strip()):
        return None
    local = parts[0].lower()
    if "*" in local and local != "*":
        return None
    return f"{local}@{parts[1]}"


def pattern_matches(pattern: str, address: str) -> bool:
    """Whether a stored (lowercased) grant covers a normalised address."""
    if pattern.startswith(WILDCARD_PREFIX):
        return address.rpartition("@")[2] == pattern[len(WILDCARD_PREFIX) :]
    return address == pattern


def may_send_from(txn: ReadTxn, settings: Settings, user_id: str, address: str) -> bool:
    """True when `user_id` may use `address` as a From/Sender or envelope MAIL FROM."""
    wanted = normalise(address)
    user = txn.user_by_id(user_id)
    if wanted is None or user is None:
        return False
    if any(pattern_matches(p, wanted) for p in txn.sender_grants(user_id)):
        return True
    local, _, domain = wanted.rpartition("@")
    candidates = {wanted}
    if domain in local_domains(settings):
        # A subaddress (`alice+lists@`, RFC 5233) of a local address is its base's.
        base = local.partition(SUBADDRESS_SEPARATOR)[0]
        if base:
            candidates.add(f"{base}@{domain}")
    name = user.username.lower()
    own = {primary_address(settings, name), *(f"{name}@{d}" for d in local_domains(settings))}
    if user.email is not None and (email := normalise(user.email)) is not None:
        own.add(email)
    own.update(txn.aliases_for_user(user_id))
    return not candidates.isdisjoint(own)
