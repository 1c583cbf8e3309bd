"""An EmailSubmission's server-set state follows its outbound queue row (RFC 8621 section 7):
`undoStatus` is pending until the first delivery attempt, final after it, canceled when the
client canceled in time; `deliveryStatus` mirrors each recipient's last reply. The queue is the
truth and this is its picture, rewritten whenever the queue moves, so /changes reports every
step (the RFC's SHOULD: update the object each time any recipient's status changes)."""

from __future__ import annotations

from typing import Any, Final

from satchel.store.base import WriteTxn
from satchel.store.outbound_base import OutboundMessage

SUBMISSION_TYPE: Final = "EmailSubmission"

# Queue recipient state -> DeliveryStatus.delivered (relayed: accepted by the relay, the final
# outcome is not known; RFC 8621 says relaying SHOULD NOT be taken as delivery).
_DELIVERED: Final = {"queued": "queued", "delivered": "yes", "relayed": "unknown", "failed": "no"}
# A synthetic reply (RFC 8621 section 7, smtpReply) for a recipient not yet attempted.
QUEUED_REPLY: Final = "250 2.1.5 Queued for delivery"


def undo_status(message: OutboundMessage) -> str:
    if message.state == "canceled":
        return "canceled"
    return "pending" if message.attempts == 0 and message.state == "queued" else "final"


def delivery_status(
    message: OutboundMessage, previous: dict[str, Any] | None
) -> dict[str, dict[str, str]]:
    previous = previous or {}
    status: dict[str, dict[str, str]] = {}
    for recipient in message.recipients:
        before = previous.get(recipient.address) or {}
        delivered = _DELIVERED.get(recipient.state, "unknown")
        # A DSN that came back for a relayed message knows better than the relay's 250.
        if recipient.state == "relayed" and before.get("delivered") in ("yes", "no"):
            delivered = before["delivered"]
        status[recipient.address] = {
            "smtpReply": recipient.reply or QUEUED_REPLY,
            "delivered": delivered,
            "displayed": str(before.get("displayed") or "unknown"),
        }
    return status


def sync_submission(txn: WriteTxn, message: OutboundMessage) -> None:
    """Rewrite the submission's undoStatus and deliveryStatus from the queue row (inside the
    sender account's transaction); nothing when the submission is gone."""
    if message.submission_id is None or txn.account_id != message.account_id:
        return
    records = txn.get_records(txn.account_id, SUBMISSION_TYPE, [message.submission_id])
    if not records:
        return
    data = dict(records[0].data)
    data["undoStatus"] = undo_status(message)
    data["deliveryStatus"] = delivery_status(message, data.get("deliveryStatus"))
    txn.update_record(SUBMISSION_TYPE, message.submission_id, data)


def add_report(
    txn: WriteTxn,
    submission_id: str,
    blob_id: str,
    *,
    mdn: bool,
    updates: dict[str, dict[str, str]] | None = None,
) -> None:
    """Append a DSN's or MDN's blob (the whole multipart/report, already stored in this
    account) to dsnBlobIds/mdnBlobIds, keeping it referenced while the submission lives, and
    merge what the report says per recipient (`delivered`, `displayed`, `smtpReply`)."""
    records = txn.get_records(txn.account_id, SUBMISSION_TYPE, [submission_id])
    if not records:
        return
    data = dict(records[0].data)
    key = "mdnBlobIds" if mdn else "dsnBlobIds"
    blobs = list(data.get(key) or [])
    if blob_id not in blobs:
        blobs.append(blob_id)
        txn.ref_blob(blob_id, 1)
    data[key] = blobs
    status = {k: dict(v) for k, v in (data.get("deliveryStatus") or {}).items()}
    for address, change in (updates or {}).items():
        for known in status:
            if known.lower() == address.lower():
                status[known].update(change)
    data["deliveryStatus"] = status or None
    txn.update_record(SUBMISSION_TYPE, submission_id, data)
