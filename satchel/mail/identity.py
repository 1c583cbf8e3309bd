"""Identity (RFC 8621 section 6): the From a user may send as, with its signatures, declared for
the standard /get, /changes and /set.

What the property table cannot say lives in the hooks: `email` must be an address the account's
owner may send from (`satchel.mail.senders`; otherwise `forbiddenFrom`), `mayDelete` is
server-set (true for identities a client made, false for the account's default identity, which
provisioning creates), and a destroy of an identity with mayDelete false is `forbidden`."""

from __future__ import annotations

from typing import Any, Final

from satchel.config import Settings
from satchel.core.datatype import (
    Boolean,
    DataType,
    Hooks,
    IdResolver,
    Invalid,
    Property,
    SetScope,
    String,
    Validator,
    list_of,
    nullable,
)
from satchel.core.errors import SetError
from satchel.core.registry import Registry
from satchel.core.standard.register import register_type
from satchel.mail.capability import provision_before_methods
from satchel.mail.provision import IDENTITY_TYPE
from satchel.mail.recipients import split_address
from satchel.mail.senders import may_send_from
from satchel.mail.uris import SUBMISSION
from satchel.store.base import Record

JsonObject = dict[str, Any]


def address_string(value: Any, resolve: IdResolver, /) -> str:
    """A String holding `local@domain` (RFC 8621 section 6: Identity `email`)."""
    if not isinstance(value, str) or split_address(value) is None or value != value.strip():
        raise Invalid("expected an email address (local@domain)")
    return value


def email_address(value: Any, resolve: IdResolver, /) -> JsonObject:
    """An EmailAddress object (RFC 8621 section 4.1.2.3): `name` String|null (absent means
    null), `email` String; nothing else."""
    if not isinstance(value, dict) or not set(value) <= {"name", "email"}:
        raise Invalid("expected an EmailAddress object (name, email)")
    name = value.get("name")
    if name is not None and not isinstance(name, str):
        raise Invalid("EmailAddress name must be a String or null")
    return {"name": name, "email": address_string(value.get("email"), resolve)}


EMAIL_ADDRESSES: Final[Validator] = nullable(list_of(email_address))


def identity_type(settings: Settings) -> DataType:
    """The declaration; the hooks need the settings (the local domains) for `may_send_from`."""

    def on_create(scope: SetScope, obj: JsonObject) -> JsonObject:
        owner = scope.txn.account_owner(scope.account_id)
        if owner is None or not may_send_from(scope.txn, settings, owner, obj["email"]):
            raise SetError(
                "forbiddenFrom",
                f"this account may not send from {obj['email']}: use its own address, one of its"
                " aliases, or ask an administrator to grant it (satchel user sender add)",
                properties=["email"],
            )
        return {"mayDelete": True}

    def on_destroy(scope: SetScope, record: Record) -> None:
        if record.data.get("mayDelete") is False:
            raise SetError(
                "forbidden",
                "this is the account's default identity (its own address); it can be edited"
                " but not destroyed",
            )

    return DataType(
        name=IDENTITY_TYPE,
        capability=SUBMISSION,
        small=True,
        properties={
            "name": Property(String, default=""),
            "email": Property(address_string, required_on_create=True, immutable=True),
            "replyTo": Property(EMAIL_ADDRESSES, default=None, nullable=True),
            "bcc": Property(EMAIL_ADDRESSES, default=None, nullable=True),
            "textSignature": Property(String, default=""),
            "htmlSignature": Property(String, default=""),
            "mayDelete": Property(Boolean, server_set=True, default=True),
        },
        # RFC 8621 section 6: Identity has /get, /changes and /set only.
        methods=frozenset({"get", "changes", "set"}),
        hooks=Hooks(on_create=on_create, on_destroy=on_destroy),
    )


def register_identity(registry: Registry, settings: Settings) -> None:
    """Register Identity/get, /changes and /set under the submission capability (which
    `register_submission` advertises, with EmailSubmission)."""
    register_type(registry, identity_type(settings))
    provision_before_methods(registry, settings)
