"""Opaque state strings <-> modseqs (RFC 8620 sections 5.1, 5.2, 5.5).

A state string is a modseq in base 36 followed by a two-character check derived from it and from
a scope (the data type's name), so a client's state is short, clearly not a number to do
arithmetic on, and garbage, a state typed by hand or the state of another type is recognised
instead of being taken for some modseq. Garbage in /changes or /queryChanges
means `cannotCalculateChanges`; in `ifInState` it simply does not match (`stateMismatch`).
"""

from __future__ import annotations

import functools
import zlib
from typing import Final

from satchel.core.errors import MethodError

_DIGITS: Final = "0123456789abcdefghijklmnopqrstuvwxyz"
_MAX_LEN: Final = 16


def _base36(number: int) -> str:
    if number == 0:
        return "0"
    out = []
    while number:
        number, digit = divmod(number, 36)
        out.append(_DIGITS[digit])
    return "".join(reversed(out))


def _check(body: str, scope: str) -> str:
    value = zlib.crc32(f"{scope}:{body}".encode()) % (36 * 36)
    return _DIGITS[value // 36] + _DIGITS[value % 36]


@functools.lru_cache(maxsize=4096)
def encode_state(modseq: int, scope: str = "") -> str:
    """Remembered (70 ns instead of 0.9 us): a commit's states are encoded for its response
    and again for every push listener and subscription, almost always from modseqs just
    encoded."""
    if modseq < 0:
        raise ValueError("modseq must be >= 0")
    body = _base36(modseq)
    return body + _check(body, scope)


def decode_state(state: object, scope: str = "") -> int | None:
    """The modseq a state string of `scope` stands for, or None if it is not one of ours."""
    if not isinstance(state, str) or not 3 <= len(state) <= _MAX_LEN:
        return None
    body, check = state[:-2], state[-2:]
    if any(c not in _DIGITS for c in body) or (body != "0" and body[0] == "0"):
        return None
    if _check(body, scope) != check:
        return None
    return int(body, 36)


def since_modseq(state: object, low: int, high: int, scope: str = "") -> int:
    """The modseq of a client's `sinceState`/`sinceQueryState` from which changes can be
    calculated: garbage, a state older than the type's low modseq (tombstones purged) or newer
    than its current state -> cannotCalculateChanges (RFC 8620 sections 5.2 and 5.6)."""
    modseq = decode_state(state, scope)
    if modseq is None:
        raise MethodError("cannotCalculateChanges", "not a state this server issued")
    if modseq < low:
        raise MethodError("cannotCalculateChanges", "state too old: changes were purged")
    if modseq > high:
        raise MethodError("cannotCalculateChanges", "state is newer than the server's")
    return modseq


def check_if_in_state(if_in_state: object, current: int, scope: str = "") -> None:
    """RFC 8620 section 5.3: ifInState must equal the current state, else stateMismatch."""
    if if_in_state is None:
        return
    if not isinstance(if_in_state, str):
        raise MethodError("invalidArguments", "ifInState must be a String or null")
    if decode_state(if_in_state, scope) != current:
        raise MethodError("stateMismatch", "ifInState does not match the current state")
