"""The outbound queue part of the storage protocols (issue 4): messages waiting to be delivered
to local recipients or handed to the SMTP relay, with per-recipient outcomes.

A worker claims a due message with a lease inside a write transaction; only the lease holder
records outcomes, so several worker processes never deliver one message twice. The SQLite
implementation is `satchel/store/sqlite_outbound.py`; `ReadTxn`/`WriteTxn` include these.
Queue rows are not JMAP data: any write transaction may touch them, which lets a delivery mark
its recipient done in the same commit that stores the copy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class OutboundRecipient:
    address: str
    params: tuple[str, ...] = ()  # RCPT TO parameters, xtext-decoded ("NOTIFY=FAILURE", "NAME")
    state: str = "queued"  # queued | delivered | relayed | failed
    reply: str = ""  # the last SMTP reply (or a synthetic one for local delivery)


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    id: str
    account_id: str  # the sender's account; "" when there is none (auto-replies, DSNs)
    submission_id: str | None
    mail_from: str  # "" is the null reverse-path
    message_id: str | None  # the Message-ID field, without angle brackets
    raw: bytes
    created_at: float
    send_at: float
    next_attempt_at: float
    attempts: int
    state: str  # queued | done | canceled
    recipients: tuple[OutboundRecipient, ...]
    # MAIL parameters that shape the DSNs Satchel writes (RFC 3461: "ENVID=...", "RET=HDRS").
    mail_params: tuple[str, ...] = ()


class OutboundReadTxn(Protocol):
    def outbound_message(self, message_id: str) -> OutboundMessage | None: ...

    def outbound_for_submission(
        self, account_id: str, submission_id: str
    ) -> OutboundMessage | None: ...

    def outbound_by_message_id(self, account_id: str, message_id: str) -> list[OutboundMessage]:
        """Messages an account sent with this Message-ID (for DSN/MDN matching)."""
        ...

    def outbound_due(self, now: float, limit: int) -> list[str]:
        """Ids of queued messages due by `now` whose lease (if any) has run out."""
        ...

    def outbound_next_due(self) -> float | None:
        """When the next queued message is due (its lease end if later); None: queue empty."""
        ...


class OutboundWriteTxn(OutboundReadTxn, Protocol):
    def outbound_enqueue(self, message: OutboundMessage) -> None: ...

    def outbound_claim(
        self, message_id: str, owner: str, now: float, lease_until: float
    ) -> OutboundMessage | None:
        """Take the lease on a due, queued message nobody holds (or whose lease ran out);
        None when it is not to be worked on now. Counts the attempt."""
        ...

    def outbound_record(
        self, message_id: str, owner: str, address: str, state: str, reply: str
    ) -> bool:
        """Set one recipient's outcome; False (nothing written) when `owner` no longer holds
        the lease, so a worker that lost its lease cannot overwrite another's results."""
        ...

    def outbound_release(self, message_id: str, owner: str, next_attempt_at: float) -> None:
        """Give the lease back; the message is done when no recipient is still queued (its
        bytes are dropped then), else due again at `next_attempt_at`."""
        ...

    def outbound_cancel(self, message_id: str, now: float) -> bool:
        """Cancel a message nothing was attempted for yet and nobody holds; False otherwise."""
        ...

    def outbound_fail_remaining(
        self, message_id: str, owner: str, reply: str
    ) -> Sequence[OutboundRecipient]:
        """Mark every still-queued recipient failed with `reply`; the ones it changed."""
        ...

    def outbound_purge(self, before: float) -> int:
        """Forget finished and canceled messages created before `before` (a late DSN or MDN
        for them no longer finds its submission); how many went."""
        ...
