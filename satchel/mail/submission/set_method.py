"""EmailSubmission/set (RFC 8621 section 7.5): the standard /set, where each create checks the
Email, the Identity and the envelope and queues the message in the same transaction as the
record (no submission without its queued message, nor the reverse), then the implicit Email/set
of onSuccessUpdateEmail/onSuccessDestroyEmail through the registered Email/set handler, whose
response follows. Local recipients get their copies before the response; remote ones are left
to the queue runners."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import time
from dataclasses import dataclass, field
from typing import Any, Final

from satchel.config import Settings
from satchel.core.context import RequestContext
from satchel.core.datatype import AnyJson, IdResolver, Invalid, SetScope, String, map_of
from satchel.core.errors import MethodError, SetError
from satchel.core.registry import Handler, MethodResponse
from satchel.core.standard.common import Args, method_account, resolve_id, resolver
from satchel.core.standard.set import SetWork, creation_order, set_in_txn
from satchel.core.state import check_if_in_state, encode_state
from satchel.mail.email_record import utc_date
from satchel.mail.recipients import is_local, local_domains, resolve
from satchel.mail.senders import may_send_from
from satchel.mail.submission.datatype import EMAIL_SUBMISSION
from satchel.mail.submission.envelope import (
    MAX_RECIPIENTS,
    MAX_SEND_SIZE,
    EnvelopeProblem,
    derive_envelope,
    identity_allows,
    is_mailbox,
    mail_parameters,
    rcpt_parameters,
    without_bcc,
)
from satchel.mail.submission.status import SUBMISSION_TYPE, delivery_status
from satchel.smtp.outbound.queue_entry import new_outbound
from satchel.smtp.outbound.runner import deliver_queued, wake_runners
from satchel.store.base import Record, WriteTxn
from satchel.store.outbound_base import OutboundMessage

JsonObject = dict[str, Any]
_KNOWN: Final = ("accountId", "ifInState", "create", "update", "destroy")


def _patch_map(value: Any, resolve: IdResolver, /) -> dict[str, Any]:
    checked: dict[str, Any] = map_of(String, AnyJson)(value, resolve)
    if not all(isinstance(patch, dict) for patch in checked.values()):
        raise Invalid("each value must be a PatchObject")
    return checked


def _string_list(value: Any, resolve: IdResolver, /) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Invalid("expected a String[]")
    return value


_EXTRA: Final = {"onSuccessUpdateEmail": _patch_map, "onSuccessDestroyEmail": _string_list}


@dataclass(slots=True)
class _Creating:
    """What the create hook needs from the request, and what it hands back per create."""

    settings: Settings
    user_id: str
    raws: dict[str, bytes]  # Email id -> its message, read before the transaction
    pending: list[tuple[OutboundMessage, str]] = field(default_factory=list)


def _invalid(description: str, *properties: str) -> SetError:
    return SetError("invalidProperties", description, properties=list(properties))


def _may_use(txn: WriteTxn, c: _Creating, identity_email: str, address: str) -> bool:
    return identity_allows(identity_email, address) or may_send_from(
        txn, c.settings, c.user_id, address
    )


def _recipients(
    txn: WriteTxn, settings: Settings, rcpt_to: list[JsonObject]
) -> list[tuple[str, tuple[str, ...]]]:
    """The envelope's recipients, deduplicated, each with its RCPT parameters; SetError when
    they cannot all be sent to (RFC 8621 section 7.5)."""
    wanted: dict[str, tuple[str, tuple[str, ...]]] = {}
    for rcpt in rcpt_to:
        try:
            params = rcpt_parameters(rcpt["parameters"])
        except ValueError as problem:
            raise _invalid(f"rcptTo {rcpt['email']}: {problem}", "envelope") from None
        wanted.setdefault(rcpt["email"].lower(), (rcpt["email"], params))
    recipients = [address for address, _ in wanted.values()]
    if not recipients:
        raise SetError("noRecipients", "the envelope has no recipients: add a To, Cc or Bcc")
    if len(recipients) > MAX_RECIPIENTS:
        raise SetError(
            "tooManyRecipients",
            f"{len(recipients)} recipients; at most {MAX_RECIPIENTS} per message",
            maxRecipients=MAX_RECIPIENTS,
        )
    invalid = [
        r
        for r in recipients
        if not is_mailbox(r) or (is_local(settings, r) and resolve(txn, settings, r) is None)
    ]
    if invalid:
        raise SetError(
            "invalidRecipients",
            f"these are not addresses that can receive mail: {', '.join(invalid)}",
            invalidRecipients=invalid,
        )
    remote = [r for r in recipients if not is_local(settings, r)]
    if remote and not settings.smtp_relay.strip():
        domains = ", ".join(sorted(local_domains(settings)))
        raise SetError(
            "forbiddenToSend",
            f"this server has no SMTP relay configured, so it cannot send to "
            f"{', '.join(remote)}; only addresses at {domains} can be reached",
        )
    return list(wanted.values())


def _on_create(c: _Creating, scope: SetScope, obj: JsonObject) -> JsonObject:
    """Every check RFC 8621 section 7.5 names, in the transaction that creates the record, so
    what is checked (Identity, From, aliases) cannot change before the message is queued."""
    txn, settings, now = scope.txn, c.settings, time.time()
    [email] = txn.get_records(scope.account_id, "Email", [obj["emailId"]])
    [identity] = txn.get_records(scope.account_id, "Identity", [obj["identityId"]])
    identity_email = str(identity.data.get("email") or "")
    raw = c.raws.get(email.id)
    if raw is None:
        raise _invalid("the Email's message could not be read", "emailId")
    if obj["undoStatus"] != "pending":
        raise _invalid("a new submission's undoStatus is pending", "undoStatus")
    senders = [str(a.get("email") or "") for a in email.data.get("from") or []]
    if not senders:
        raise SetError(
            "invalidEmail", "the Email has no From address: add one before sending", ["from"]
        )
    for address in senders:
        if not _may_use(txn, c, identity_email, address):
            raise SetError(
                "forbiddenFrom",
                f"you may not send as {address}: the From address must be one of yours",
            )
    envelope = obj["envelope"]
    if envelope is None:
        try:
            envelope = derive_envelope(email.data, identity_email)
        except EnvelopeProblem as problem:
            raise SetError("invalidEmail", str(problem), problem.properties) from None
    mail_from = envelope["mailFrom"]["email"]
    if mail_from and (not is_mailbox(mail_from) or not _may_use(txn, c, identity_email, mail_from)):
        raise SetError(
            "forbiddenMailFrom",
            f"you may not use {mail_from} as the envelope sender: it must be one of your addresses",
        )
    data = without_bcc(raw)
    if len(data) > MAX_SEND_SIZE:
        raise SetError(
            "tooLarge",
            f"the message is {len(data)} octets; at most {MAX_SEND_SIZE} can be sent",
            maxSize=MAX_SEND_SIZE,
        )
    try:
        mail = mail_parameters(
            envelope["mailFrom"]["parameters"],
            now=now,
            max_delay=settings.max_delayed_send_seconds,
            size=len(data),
        )
    except ValueError as problem:
        raise _invalid(f"envelope mailFrom parameters: {problem}", "envelope") from None
    recipients = _recipients(txn, settings, envelope["rcptTo"])
    message = new_outbound(
        mail_from=mail_from,
        recipients=recipients,
        raw=data,
        account_id=scope.account_id,
        send_at=mail.release_at,
        now=now,
        mail_params=mail.kept,
    )
    c.pending.append((message, email.id))
    return {
        "threadId": email.data.get("threadId"),
        "envelope": envelope,
        "sendAt": utc_date(mail.release_at),
        "undoStatus": "pending",
        "deliveryStatus": delivery_status(message, None),
    }


@dataclass(slots=True)
class _Outcome:
    old_state: int
    response: JsonObject
    created_ids: dict[str, str]
    queued: list[OutboundMessage]
    emails: dict[str, str]  # submission id -> Email id, for every submission that succeeded


def submission_set_handler(settings: Settings) -> Handler:
    async def handler(ctx: RequestContext, raw: JsonObject) -> list[MethodResponse]:
        return await submission_set(ctx, raw, settings)

    return handler


async def _read_messages(
    ctx: RequestContext, account_id: str, create: JsonObject
) -> dict[str, bytes]:
    resolve = resolver(ctx.created_ids)
    wanted = set()
    for obj in create.values():
        value = obj.get("emailId") if isinstance(obj, dict) else None
        if isinstance(value, str):
            found = resolve_id(value, resolve)
            if found is not None:
                wanted.add(found)
    records = await ctx.store.read(lambda txn: txn.get_records(account_id, "Email", sorted(wanted)))
    raws: dict[str, bytes] = {}
    for record in records:
        data = await asyncio.to_thread(ctx.store.blobs.open, str(record.data.get("blobId")))
        if data is not None:
            raws[record.id] = data
    return raws


async def submission_set(
    ctx: RequestContext, raw: JsonObject, settings: Settings
) -> list[MethodResponse]:
    args = Args(raw, _KNOWN, _EXTRA)
    account = method_account(ctx, EMAIL_SUBMISSION, args.raw.get("accountId"), write=True)
    if_in_state = args.string("ifInState")
    create = args.obj("create") or {}
    update = args.obj("update") or {}
    destroy = args.str_list("destroy") or []
    limit = ctx.limits.max_objects_in_set
    if len(create) + len(update) + len(destroy) > limit:
        raise MethodError("requestTooLarge", f"at most {limit} objects per /set (maxObjectsInSet)")
    creating = _Creating(
        settings, ctx.user.id, await _read_messages(ctx, account.id, create) if create else {}
    )
    hooks = dataclasses.replace(
        EMAIL_SUBMISSION.hooks, on_create=functools.partial(_on_create, creating)
    )
    datatype = dataclasses.replace(EMAIL_SUBMISSION, hooks=hooks)
    request_created = dict(ctx.created_ids)

    def write(txn: WriteTxn) -> _Outcome:
        old_state = txn.type_state(account.id, SUBMISSION_TYPE).high
        check_if_in_state(if_in_state, old_state, SUBMISSION_TYPE)
        work = SetWork(datatype, txn, account.id, args.extra, request_created)
        created: JsonObject = {}
        not_created: JsonObject = {}
        queued: list[OutboundMessage] = []
        emails: dict[str, str] = {}
        for cid in creation_order(create):
            creating.pending.clear()
            try:
                with txn.savepoint():
                    entry = work.create(cid, create[cid])
                    message, email_id = creating.pending.pop()
                    message = dataclasses.replace(message, submission_id=entry["id"])
                    txn.outbound_enqueue(message)
            except SetError as err:
                not_created[cid] = err.to_json()
                continue
            created[cid] = entry
            queued.append(message)
            emails[entry["id"]] = email_id
        touched = [resolve_id(k, work.resolve) or k for k in update] + [
            resolve_id(i, work.resolve) or i for i in destroy
        ]
        before: dict[str, Record] = {
            r.id: r for r in txn.get_records(account.id, SUBMISSION_TYPE, touched)
        }
        rest = set_in_txn(work, None, {}, update, destroy)
        for submission_id in [*rest.updated, *rest.destroyed]:
            if submission_id in before:
                emails[submission_id] = str(before[submission_id].data.get("emailId"))
        response = {
            "created": created or None,
            "updated": rest.updated or None,
            "destroyed": rest.destroyed or None,
            "notCreated": not_created or None,
            "notUpdated": rest.not_updated or None,
            "notDestroyed": rest.not_destroyed or None,
        }
        return _Outcome(old_state, response, dict(work.created_now), queued, emails)

    out, commit = await ctx.store.write(account.id, write)
    ctx.record_commit(commit)
    ctx.created_ids.update(out.created_ids)
    old_state = encode_state(out.old_state, SUBMISSION_TYPE)
    changed = SUBMISSION_TYPE in commit.changed_types
    response = {
        "accountId": account.id,
        "oldState": old_state,
        "newState": encode_state(commit.modseq, SUBMISSION_TYPE) if changed else old_state,
        **out.response,
    }
    responses: list[MethodResponse] = [("EmailSubmission/set", response)]
    responses += await _implicit_email_set(ctx, account.id, args.extra, out.emails)
    now = time.time()
    for message in out.queued:
        if message.send_at <= now:
            await deliver_queued(ctx.store, settings, message.id)
    if out.queued:
        wake_runners(ctx.store)
    return responses


async def _implicit_email_set(
    ctx: RequestContext, account_id: str, extra: JsonObject, emails: dict[str, str]
) -> list[MethodResponse]:
    """RFC 8621 section 7.5: one Email/set for the submissions that succeeded, keyed by their
    id or "#creationId"; its response follows the EmailSubmission/set one."""
    resolve = resolver(ctx.created_ids)

    def email_of(key: str) -> str | None:
        submission_id = resolve_id(key, resolve)
        return None if submission_id is None else emails.get(submission_id)

    update: JsonObject = {}
    for key, patch in (extra.get("onSuccessUpdateEmail") or {}).items():
        email_id = email_of(key)
        if email_id is not None:
            update[email_id] = patch
    destroy = [
        e for e in (email_of(k) for k in extra.get("onSuccessDestroyEmail") or []) if e is not None
    ]
    if not update and not destroy:
        return []
    spec = ctx.registry.methods["Email/set"]
    arguments: JsonObject = {"accountId": account_id}
    if update:
        arguments["update"] = update
    if destroy:
        arguments["destroy"] = list(dict.fromkeys(destroy))
    return await spec.handler(ctx, arguments)
