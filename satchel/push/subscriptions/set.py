"""PushSubscription/set (RFC 8620 section 7.2.2): the standard /set without accountId, ifInState
or states. `url`, `keys` and `deviceClientId` are fixed at creation; an update may set only
`verificationCode` (which must be the code the server sent), `expires` (capped to the server's
limit, the capped value reported in `updated`) and `types`.

Creation checks the URL against SSRF (`urls.py`) before anything is written, limits how many
subscriptions a user may have and how fast they are created (section 9.5), and after the commit
sends the PushVerification (`verification.py`)."""

from __future__ import annotations

import asyncio
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from satchel.core.context import RequestContext
from satchel.core.errors import MethodError, SetError, invalid_arguments
from satchel.core.patch import parse_patch
from satchel.core.registry import JsonObject, MethodResponse
from satchel.core.standard.common import Args, resolve_id, resolver
from satchel.push.subscriptions.get import check_no_account, credential_of
from satchel.push.subscriptions.properties import (
    PROPERTIES,
    Invalid,
    capped_expiry,
    check_device_client_id,
    check_expires,
    check_keys_value,
    check_types,
    format_utc_date,
)
from satchel.push.subscriptions.ratelimit import CreationLimiter
from satchel.push.subscriptions.urls import UrlRefused, parse_push_url, resolve_push_url
from satchel.push.subscriptions.verification import Verifier
from satchel.store.base import WriteTxn
from satchel.store.push_base import PushSubscriptionRow

# Section 9.5: "The server MUST limit the number of push subscriptions any one user may have."
MAX_SUBSCRIPTIONS_PER_USER = 50


@dataclass(frozen=True, slots=True)
class Draft:
    """A create that passed every check but the database ones (quota)."""

    device_client_id: str
    url: str
    keys: tuple[str, str] | None
    expires: float
    types: tuple[str, ...] | None
    reported: JsonObject  # defaulted or server-changed properties for `created`


def _invalid(error: Invalid) -> SetError:
    return SetError("invalidProperties", error.description, properties=error.properties)


def check_create(obj: object, now: float, max_seconds: int, *, allow_private: bool) -> Draft:
    """Every property of a create, except the URL's DNS resolution; raises Invalid."""
    if not isinstance(obj, dict):
        raise Invalid("the object to create must be a JSON object")
    errors: list[Invalid] = []
    values: dict[str, Any] = {}
    checks: dict[str, Callable[[object], Any]] = {
        "deviceClientId": check_device_client_id,
        "url": lambda v: _check_url_form(v, allow_private),
        "keys": check_keys_value,
        "expires": lambda v: check_expires(v, now),
        "types": check_types,
    }
    for name, value in obj.items():
        check = checks.get(name)
        if check is not None:
            try:
                values[name] = check(value)
            except Invalid as error:
                errors.append(error)
        elif name in ("id", "verificationCode"):
            # Server-set (id) or set by the server's push (verificationCode, section 7.2): the
            # client may only send them as null.
            if value is not None:
                errors.append(Invalid(f"{name} must be omitted or null on create", name))
        else:
            errors.append(Invalid(f"unknown property {name}", name))
    for required in ("deviceClientId", "url"):
        if required not in obj:
            errors.append(Invalid(f"{required} is required", required))
    if errors:
        names = sorted({p for e in errors for p in e.properties})
        raise Invalid("; ".join(e.description for e in errors), *names)
    expires = capped_expiry(values.get("expires"), now, max_seconds)
    reported: JsonObject = {}
    for name in ("keys", "verificationCode", "types"):
        if name not in obj:
            reported[name] = None
    if values.get("expires") != expires:
        reported["expires"] = format_utc_date(expires)
    return Draft(
        device_client_id=values["deviceClientId"],
        url=values["url"],
        keys=values.get("keys"),
        expires=expires,
        types=values.get("types"),
        reported=reported,
    )


def _check_url_form(value: object, allow_private: bool) -> str:
    if not isinstance(value, str):
        raise Invalid("url must be a String", "url")
    try:
        parse_push_url(value, allow_private=allow_private)
    except UrlRefused as exc:
        raise Invalid(str(exc), "url") from None
    return value


@dataclass(frozen=True, slots=True)
class Update:
    verified: bool
    expires: float
    types: tuple[str, ...] | None
    reported: JsonObject | None  # properties the server set differently than asked


def check_update(row: PushSubscriptionRow, patch: object, now: float, max_seconds: int) -> Update:
    """Apply a PatchObject to a stored subscription; raises SetError (invalidPatch or
    invalidProperties)."""
    verified, expires, types = row.verified, row.expires, row.types
    reported: JsonObject = {}
    bad: list[str] = []
    descriptions: list[str] = []
    current_keys = None if row.p256dh is None else {"p256dh": row.p256dh, "auth": row.auth}
    fixed: dict[str, object] = {
        "id": row.id,
        "deviceClientId": row.device_client_id,
        "url": row.url,
        "keys": current_keys,
    }
    for path, value in parse_patch(patch):
        name = path[0]
        if name not in PROPERTIES:
            bad.append(name)
            descriptions.append(f"unknown property {name}")
        elif len(path) > 1:
            bad.append(name)
            descriptions.append(f"{name} must be replaced whole")
        elif name in fixed:
            # Immutable (section 7.2): sending the current value is no change.
            if value != fixed[name]:
                bad.append(name)
                descriptions.append(f"{name} is immutable")
        elif name == "verificationCode":
            # Section 7.2.2: an invalid code MUST be rejected with invalidProperties.
            if not isinstance(value, str) or not hmac.compare_digest(
                value.encode(), row.verification_code.encode()
            ):
                bad.append(name)
                descriptions.append("verificationCode is not the code the server sent")
            else:
                verified = True
        elif name == "expires":
            try:
                requested = check_expires(value, now)
            except Invalid as error:
                bad.append(name)
                descriptions.append(error.description)
                continue
            expires = capped_expiry(requested, now, max_seconds)
            if requested != expires:
                reported["expires"] = format_utc_date(expires)
        else:  # types
            try:
                types = check_types(value)
            except Invalid as error:
                bad.append(name)
                descriptions.append(error.description)
    if bad:
        raise SetError("invalidProperties", "; ".join(descriptions), properties=sorted(set(bad)))
    return Update(verified, expires, types, reported or None)


@dataclass(slots=True)
class SetOutcome:
    created: dict[str, JsonObject] = field(default_factory=dict)
    updated: dict[str, JsonObject | None] = field(default_factory=dict)
    destroyed: list[str] = field(default_factory=list)
    not_created: dict[str, JsonObject] = field(default_factory=dict)
    not_updated: dict[str, JsonObject] = field(default_factory=dict)
    not_destroyed: dict[str, JsonObject] = field(default_factory=dict)
    new_rows: list[PushSubscriptionRow] = field(default_factory=list)
    created_ids: dict[str, str] = field(default_factory=dict)


class PushSubscriptionSet:
    """The method handler; holds this process's creation limiter and PushVerification sender."""

    def __init__(self, *, max_seconds: int, allow_private: bool) -> None:
        self.max_seconds = max_seconds
        self.allow_private = allow_private
        self.limiter = CreationLimiter()
        self.verifier = Verifier(allow_private=allow_private)

    async def __call__(self, ctx: RequestContext, raw: JsonObject) -> list[MethodResponse]:
        args = Args(raw, ("accountId", "ifInState", "create", "update", "destroy"), {})
        check_no_account(args)
        if args.raw.get("ifInState") is not None:
            raise invalid_arguments("PushSubscription/set takes no ifInState (section 7.2.2)")
        create = args.obj("create") or {}
        update = args.obj("update") or {}
        destroy = args.str_list("destroy") or []
        limit = ctx.limits.max_objects_in_set
        if len(create) + len(update) + len(destroy) > limit:
            raise MethodError(
                "requestTooLarge", f"at most {limit} objects per /set (maxObjectsInSet)"
            )
        user_id, credential = ctx.user.id, credential_of(ctx)
        now = time.time()
        out = SetOutcome()
        drafts = await self._checked_creates(create, now, out)
        for cid in list(drafts):
            if not self.limiter.take(user_id):
                del drafts[cid]
                out.not_created[cid] = SetError(
                    "rateLimit", "too many push subscriptions created lately; try again later"
                ).to_json()
        request_created = dict(ctx.created_ids)

        def write(txn: WriteTxn) -> SetOutcome:
            txn.purge_expired_push_subscriptions(now)
            every = txn.push_subscriptions_of_user(user_id)
            # Section 7.2: the client sees and changes only what its credentials created.
            mine = {row.id: row for row in every if row.credential == credential}
            count = len(every)
            for cid, draft in drafts.items():
                if count >= MAX_SUBSCRIPTIONS_PER_USER:
                    out.not_created[cid] = SetError(
                        "overQuota", f"at most {MAX_SUBSCRIPTIONS_PER_USER} push subscriptions"
                    ).to_json()
                    continue
                new = _new_row(txn.new_id(), user_id, credential, draft, now)
                txn.create_push_subscription(new)
                mine[new.id] = new
                count += 1
                out.new_rows.append(new)
                out.created_ids[cid] = new.id
                out.created[cid] = {"id": new.id, **draft.reported}
            resolve = resolver(out.created_ids, request_created)
            destroy_ids = [resolve_id(i, resolve) or i for i in dict.fromkeys(destroy)]
            for key, patch in update.items():
                sub_id = resolve_id(key, resolve)
                row = mine.get(sub_id) if sub_id is not None else None
                if sub_id is None or row is None:
                    out.not_updated[key] = SetError(
                        "notFound", f"no PushSubscription {key}"
                    ).to_json()
                elif sub_id in destroy_ids:
                    out.not_updated[sub_id] = SetError(
                        "willDestroy", "the object is destroyed in the same call"
                    ).to_json()
                else:
                    try:
                        change = check_update(row, patch, now, self.max_seconds)
                    except SetError as error:
                        out.not_updated[sub_id] = error.to_json()
                        continue
                    txn.update_push_subscription(
                        sub_id, verified=change.verified, expires=change.expires, types=change.types
                    )
                    out.updated[sub_id] = change.reported
            for sub_id in destroy_ids:
                if sub_id in mine and txn.delete_push_subscription(sub_id):
                    del mine[sub_id]
                    out.destroyed.append(sub_id)
                else:
                    out.not_destroyed[sub_id] = SetError(
                        "notFound", f"no PushSubscription {sub_id}"
                    ).to_json()
            return out

        await ctx.store.write("", write)
        ctx.created_ids.update(out.created_ids)
        for row in out.new_rows:
            self.verifier.schedule(ctx.store, row)
        return [
            (
                "PushSubscription/set",
                {
                    "created": out.created or None,
                    "updated": out.updated or None,
                    "destroyed": out.destroyed or None,
                    "notCreated": out.not_created or None,
                    "notUpdated": out.not_updated or None,
                    "notDestroyed": out.not_destroyed or None,
                },
            )
        ]

    async def _checked_creates(
        self, create: dict[str, Any], now: float, out: SetOutcome
    ) -> dict[str, Draft]:
        """Each create checked, its URL resolved (concurrently); failures go to notCreated."""
        drafts: dict[str, Draft] = {}
        for cid, obj in create.items():
            try:
                drafts[cid] = check_create(
                    obj, now, self.max_seconds, allow_private=self.allow_private
                )
            except Invalid as error:
                out.not_created[cid] = _invalid(error).to_json()
        checks = await asyncio.gather(
            *(resolve_push_url(d.url, allow_private=self.allow_private) for d in drafts.values()),
            return_exceptions=True,
        )
        for cid, result in zip(list(drafts), checks, strict=True):
            if isinstance(result, UrlRefused):
                del drafts[cid]
                out.not_created[cid] = _invalid(Invalid(str(result), "url")).to_json()
            elif isinstance(result, BaseException):
                raise result
        return drafts


def _new_row(
    sub_id: str, user_id: str, credential: str, draft: Draft, now: float
) -> PushSubscriptionRow:
    return PushSubscriptionRow(
        id=sub_id,
        user_id=user_id,
        credential=credential,
        device_client_id=draft.device_client_id,
        url=draft.url,
        p256dh=None if draft.keys is None else draft.keys[0],
        auth=None if draft.keys is None else draft.keys[1],
        # Section 7.2.2: enough entropy that the client cannot guess it (128 bits).
        verification_code=secrets.token_hex(16),
        verified=False,
        expires=draft.expires,
        types=draft.types,
        created_at=now,
    )
