"""VacationResponse (RFC 8621 section 8): one object per account, id "singleton", declared for
the standard /get and /set. The singleton is created by provisioning (`satchel.mail.provision`),
which runs before every VacationResponse method, so /get always finds it.

/set may only update it: a create or a destroy is refused with `singleton` (RFC 8620 section
5.3). Any change to it forgets which senders were already answered (the reply log of
`satchel.mail.vacation_delivery`), so a new absence answers everyone once again, as the server
guide asks. The auto-reply itself is `satchel.mail.vacation_delivery`."""

from __future__ import annotations

from typing import Any, Final

from satchel.config import Settings
from satchel.core.context import RequestContext
from satchel.core.datatype import (
    Boolean,
    DataType,
    Hooks,
    Property,
    SetScope,
    String,
    UTCDate,
    nullable,
)
from satchel.core.errors import SetError
from satchel.core.registry import Capability, MethodResponse, MethodSpec, Registry
from satchel.core.standard.register import register_type
from satchel.core.standard.set import set_
from satchel.mail.capability import provision_before_methods
from satchel.mail.provision import VACATION_ID, VACATION_TYPE
from satchel.mail.uris import VACATION_RESPONSE
from satchel.store.base import Account, Record

JsonObject = dict[str, Any]


def _on_create(scope: SetScope, obj: JsonObject) -> JsonObject:
    raise SetError("singleton", "there is only one VacationResponse (id singleton): update it")


def _on_update(scope: SetScope, record_id: str, old: JsonObject, new: JsonObject) -> None:
    if old != new:
        scope.txn.clear_vacation_replies(scope.account_id)


def _on_destroy(scope: SetScope, record: Record) -> None:
    raise SetError("singleton", "the VacationResponse cannot be destroyed; set isEnabled false")


VACATION: Final = DataType(
    name=VACATION_TYPE,
    capability=VACATION_RESPONSE,
    small=True,
    properties={
        "isEnabled": Property(Boolean, default=False),
        "fromDate": Property(nullable(UTCDate), default=None, nullable=True),
        "toDate": Property(nullable(UTCDate), default=None, nullable=True),
        "subject": Property(nullable(String), default=None, nullable=True),
        "textBody": Property(nullable(String), default=None, nullable=True),
        "htmlBody": Property(nullable(String), default=None, nullable=True),
    },
    # RFC 8621 section 8: /get and /set only.
    methods=frozenset({"get", "set"}),
    hooks=Hooks(on_create=_on_create, on_update=_on_update, on_destroy=_on_destroy),
)


async def vacation_set(ctx: RequestContext, args: JsonObject) -> list[MethodResponse]:
    """The standard /set, except that every create is answered `singleton` before any
    validation: whatever the object, there is no second VacationResponse to make."""
    create = args.get("create") if isinstance(args, dict) else None
    if not isinstance(create, dict) or not create:
        return await set_(VACATION, ctx, args)
    responses = await set_(VACATION, ctx, {**args, "create": None})
    name, result = responses[-1]
    if name == f"{VACATION_TYPE}/set":
        error = SetError("singleton", f"there is only one VacationResponse (id {VACATION_ID})")
        result["notCreated"] = {cid: error.to_json() for cid in create}
    return responses


def account_capability(account: Account) -> JsonObject | None:
    """RFC 8621 section 1.3.3: an empty object, for accounts whose VacationResponse the user may
    see and set (not read-only ones, RFC 8621 section 1.3's example of a shared account)."""
    return None if account.is_read_only else {}


def register_vacation(registry: Registry, settings: Settings) -> None:
    """Register `urn:ietf:params:jmap:vacationresponse` and VacationResponse/get and /set.

    Registered after mail, Identity and EmailSubmission (`satchel.services.build_registry`), so
    it is here that provisioning is put in front of whatever methods of those capabilities are
    not wrapped yet (EmailSubmission's)."""
    registry.add_capability(
        Capability(uri=VACATION_RESPONSE, session_value=dict, account_value=account_capability)
    )
    register_type(registry, VACATION)
    spec = registry.methods[f"{VACATION_TYPE}/set"]
    registry.methods[spec.name] = MethodSpec(
        name=spec.name, capability=spec.capability, handler=vacation_set
    )
    provision_before_methods(registry, settings)
