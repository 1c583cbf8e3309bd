"""The mail capability `urn:ietf:params:jmap:mail` (RFC 8621 section 1.3) and the registration of
its data types: Mailbox, Thread, Email and SearchSnippet.

Mail, Identity, EmailSubmission and VacationResponse methods on a writable account first make sure
the account has its role mailboxes and its default Identity (CONTRACT.md point 7), so an account
created by any path starts usable."""

from __future__ import annotations

import weakref
from collections.abc import Collection
from typing import Any, Final

from satchel.config import Settings
from satchel.core.context import RequestContext
from satchel.core.registry import Capability, MethodResponse, MethodSpec, Registry
from satchel.core.standard.register import register_type
from satchel.mail.email import EMAIL, register_email_methods
from satchel.mail.email_copy import email_copy
from satchel.mail.email_import import email_import
from satchel.mail.email_parse import email_parse
from satchel.mail.limits import (
    MAX_MAILBOX_DEPTH,
    MAX_MAILBOXES_PER_EMAIL,
    MAX_SIZE_ATTACHMENTS_PER_EMAIL,
    MAX_SIZE_MAILBOX_NAME,
)
from satchel.mail.mailbox import register_mailbox
from satchel.mail.provision import provision_lazily
from satchel.mail.search_snippet import search_snippet_get
from satchel.mail.thread import THREAD
from satchel.mail.uris import MAIL, SUBMISSION, VACATION_RESPONSE
from satchel.store.base import Account

# The capabilities whose methods need a provisioned account (CONTRACT.md point 7).
PROVISIONED_CAPABILITIES: Final = frozenset({MAIL, SUBMISSION, VACATION_RESPONSE})

# RFC 8621 section 4.4.2: the sorts Email/query really supports (all done by the store).
EMAIL_QUERY_SORT_OPTIONS: Final = (
    "receivedAt",
    "sentAt",
    "size",
    "from",
    "to",
    "subject",
    "hasKeyword",
    "allInThreadHaveKeyword",
    "someInThreadHaveKeyword",
)


def account_capability(account: Account) -> dict[str, Any]:
    """RFC 8621 section 1.3.1: the mail capability of an account."""
    return {
        "maxMailboxesPerEmail": MAX_MAILBOXES_PER_EMAIL,
        "maxMailboxDepth": MAX_MAILBOX_DEPTH,
        "maxSizeMailboxName": MAX_SIZE_MAILBOX_NAME,
        "maxSizeAttachmentsPerEmail": MAX_SIZE_ATTACHMENTS_PER_EMAIL,
        "emailQuerySortOptions": list(EMAIL_QUERY_SORT_OPTIONS),
        "mayCreateTopLevelMailbox": not account.is_read_only,
    }


def register_mail(registry: Registry, settings: Settings) -> None:
    """Register the mail capability and the methods of its data types."""
    registry.add_capability(
        Capability(uri=MAIL, session_value=dict, account_value=account_capability)
    )
    register_mailbox(registry)
    register_type(registry, THREAD)
    register_email_methods(registry, settings.domain)
    registry.add_method(
        MethodSpec(name="SearchSnippet/get", capability=MAIL, handler=search_snippet_get)
    )
    registry.add_method(MethodSpec(name="Email/import", capability=MAIL, handler=email_import))
    registry.add_method(MethodSpec(name="Email/parse", capability=MAIL, handler=email_parse))
    registry.add_method(MethodSpec(name="Email/copy", capability=MAIL, handler=email_copy))
    registry.data_types.setdefault(EMAIL.name, EMAIL)
    provision_before_methods(registry, settings)


# Handlers already wrapped, so registering in any order and wrapping again is harmless.
_wrapped: weakref.WeakSet[Any] = weakref.WeakSet()


def provision_before_methods(
    registry: Registry,
    settings: Settings,
    capabilities: Collection[str] = PROVISIONED_CAPABILITIES,
) -> None:
    """Wrap every method registered so far under `capabilities` so a writable account gets its
    role mailboxes and default Identity first. Each registration of these capabilities calls it
    after adding its methods; methods wrapped before are left alone."""
    for name, spec in list(registry.methods.items()):
        if spec.capability not in capabilities or spec.handler in _wrapped:
            continue
        registry.methods[name] = MethodSpec(
            name=spec.name,
            capability=spec.capability,
            handler=_provisioning(spec, settings),
        )


def _provisioning(spec: MethodSpec, settings: Settings) -> Any:
    handler = spec.handler

    async def run(ctx: RequestContext, args: dict[str, Any]) -> list[MethodResponse]:
        account_id = args.get("accountId") if isinstance(args, dict) else None
        if isinstance(account_id, str):
            account = ctx.accounts.get(account_id)
            if account is not None and not account.is_read_only:
                commit = await provision_lazily(ctx.store, account.id, settings)
                if commit is not None:
                    ctx.record_commit(commit)
        return await handler(ctx, args)

    _wrapped.add(run)
    return run
