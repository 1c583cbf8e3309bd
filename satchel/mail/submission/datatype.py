"""The EmailSubmission data type (RFC 8621 section 7) as the standard methods see it: every
property, the /query filters and sorts the RFC lists, and the hooks that need no request
context (cancel by setting undoStatus, destroy releasing the report blobs). Create needs the
request (the user, the Email's bytes), so `satchel.mail.submission.set_method` adds it per call.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any, Final

from satchel.core.datatype import (
    AnyJson,
    DataType,
    Filter,
    Hooks,
    Id,
    Property,
    SetScope,
    Sort,
    String,
    UTCDate,
    list_of,
    one_of,
)
from satchel.core.errors import SetError
from satchel.mail.submission.envelope import envelope_value, parse_utc
from satchel.mail.submission.status import SUBMISSION_TYPE
from satchel.mail.uris import SUBMISSION
from satchel.store.base import BlobNotFound, Record

UNDO_STATUSES: Final = ("pending", "final", "canceled")
# The synthetic reply (RFC 8621 section 7, smtpReply) of a recipient whose message was canceled.
CANCELED_REPLY: Final = "550 5.0.0 Canceled by the sender before it was sent"
JsonObject = dict[str, Any]


def _on_update(
    scope: SetScope, record_id: str, old: JsonObject, new: JsonObject
) -> JsonObject | None:
    """Only undoStatus may change, and only pending -> canceled (RFC 8621 section 7): the
    queue row is canceled in the same transaction, if nothing was attempted yet."""
    if new["undoStatus"] == old["undoStatus"]:
        return None
    if new["undoStatus"] != "canceled":
        raise SetError(
            "invalidProperties",
            "undoStatus can only be set to canceled",
            properties=["undoStatus"],
        )
    message = scope.txn.outbound_for_submission(scope.account_id, record_id)
    if old["undoStatus"] != "pending" or message is None:
        raise SetError("cannotUnsend", "the message has already been sent")
    if not scope.txn.outbound_cancel(message.id, time.time()):
        raise SetError("cannotUnsend", "the message is being sent or has already been sent")
    status = {
        address: {**before, "smtpReply": CANCELED_REPLY, "delivered": "no"}
        for address, before in (old.get("deliveryStatus") or {}).items()
    }
    return {"deliveryStatus": status or None}


def _on_destroy(scope: SetScope, record: Record) -> None:
    """Destroying the record never touches the delivery (RFC 8621 section 7); the DSN and MDN
    blobs it kept referenced are let go."""
    for name in ("dsnBlobIds", "mdnBlobIds"):
        for blob_id in record.data.get(name) or []:
            with contextlib.suppress(BlobNotFound, ValueError):
                scope.txn.ref_blob(str(blob_id), -1)


def _in(name: str) -> Filter:
    return Filter(list_of(Id), lambda obj, ids: obj.get(name) in ids, immutable=True)


def _time_of(obj: JsonObject) -> float:
    return parse_utc(str(obj.get("sendAt") or "")) or 0.0


def _before(obj: JsonObject, when: str) -> bool:
    return _time_of(obj) < (parse_utc(when) or 0.0)


def _after(obj: JsonObject, when: str) -> bool:
    return _time_of(obj) >= (parse_utc(when) or 0.0)


EMAIL_SUBMISSION: Final = DataType(
    name=SUBMISSION_TYPE,
    capability=SUBMISSION,
    properties={
        "identityId": Property(Id, immutable=True, required_on_create=True, ref="Identity"),
        "emailId": Property(Id, immutable=True, required_on_create=True, ref="Email"),
        "threadId": Property(Id, server_set=True, immutable=True, nullable=True),
        "envelope": Property(envelope_value, immutable=True, nullable=True),
        "sendAt": Property(UTCDate, server_set=True, immutable=True, nullable=True),
        "undoStatus": Property(one_of(*UNDO_STATUSES), default="pending"),
        "deliveryStatus": Property(AnyJson, server_set=True, nullable=True),
        "dsnBlobIds": Property(list_of(Id), server_set=True, default=[]),
        "mdnBlobIds": Property(list_of(Id), server_set=True, default=[]),
    },
    filters={
        "identityIds": _in("identityId"),
        "emailIds": _in("emailId"),
        "threadIds": _in("threadId"),
        "undoStatus": Filter(String, lambda obj, status: obj.get("undoStatus") == status),
        "before": Filter(UTCDate, _before, immutable=True),
        "after": Filter(UTCDate, _after, immutable=True),
    },
    sorts={
        "emailId": Sort(immutable=True),
        "threadId": Sort(immutable=True),
        "sentAt": Sort(key=_time_of, immutable=True),
    },
    methods=frozenset({"get", "changes", "set", "query", "queryChanges"}),
    hooks=Hooks(on_update=_on_update, on_destroy=_on_destroy),
)
