"""A token for "everything this client has been told", and the changes it missed since one.

RFC 8620 section 7.3 wants an EventSource event id that "encodes the entire server state visible
to the user", so a reconnecting client's Last-Event-ID tells what it missed; RFC 8887 section
4.3.5 asks the same of a WebSocket StateChange's `pushState`. Every type's state is a modseq of
its account no higher than the account's own, so one modseq per account is enough: the token is
`accountId:modseq` pairs (modseq in base 36) joined by dots, and whatever changed after it in an
account is every type whose state is higher.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from satchel.core.state import decode_state, encode_state
from satchel.push.bus import StateChange
from satchel.store.base import ReadTxn

MAX_TOKEN_LENGTH = 4096


def encode_push_state(modseqs: Mapping[str, int]) -> str:
    return ".".join(f"{account}:{_base36(modseq)}" for account, modseq in sorted(modseqs.items()))


def decode_push_state(token: object) -> dict[str, int] | None:
    """The account modseqs of a token, or None if it is not one of ours."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    modseqs: dict[str, int] = {}
    for pair in token.split("."):
        account, sep, number = pair.partition(":")
        if not sep or not account or not number or not number.isalnum() or not number.isascii():
            return None
        modseqs[account] = int(number, 36)
    return modseqs


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, digit = divmod(number, 36)
        out = digits[digit] + out
        if not number:
            return out


class PushTracker:
    """What one connection has told its client, per account (the modseq of the newest change
    sent), to make its next token."""

    def __init__(self, modseqs: Mapping[str, int]) -> None:
        self.modseqs = dict(modseqs)

    def sent(self, change: StateChange) -> None:
        for type_name, state in change.changed.items():
            modseq = decode_state(state, type_name)
            if modseq is not None and modseq > self.modseqs.get(change.account_id, -1):
                self.modseqs[change.account_id] = modseq

    def token(self) -> str:
        return encode_push_state(self.modseqs)


def current_modseqs(txn: ReadTxn, account_ids: Iterable[str]) -> dict[str, int]:
    return {account: txn.account_modseq(account) for account in account_ids}


def changes_since(
    txn: ReadTxn,
    since: Mapping[str, int],
    account_ids: Iterable[str],
    type_names: Iterable[str],
) -> list[StateChange]:
    """Per account, every type whose state is past the token's modseq (an account the token
    does not name is new to the client: every type it has a state for)."""
    names = sorted(type_names)
    missed = []
    for account in account_ids:
        floor = since.get(account, 0)
        changed = {}
        for name in names:
            high = txn.type_state(account, name).high
            if high > floor:
                changed[name] = encode_state(high, name)
        if changed:
            missed.append(StateChange(account, changed))
    return missed


class Floor:
    """The modseqs current when a stream began: changes at or below them were already covered
    (by the resumption, or by the client's own fetch), but the listener, registered before they
    were read, may still deliver some of them."""

    __slots__ = ("modseqs",)

    def __init__(self, modseqs: dict[str, int]) -> None:
        self.modseqs = modseqs

    def above(self, change: StateChange) -> StateChange | None:
        floor = self.modseqs.get(change.account_id, 0)
        if not floor:
            return change
        kept = {
            name: state
            for name, state in change.changed.items()
            if (decode_state(state, name) or 0) > floor
        }
        return StateChange(change.account_id, kept) if kept else None
