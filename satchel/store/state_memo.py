"""Values worked out from an account's records of one type, kept while that type's state stands.

A type's state moves with every committed change to its records, so whatever a read transaction
computes from those records alone, at the state it read in the same transaction, holds for as
long as the state is unchanged, in every process and whoever wrote. Mailbox/get is the case in
point: clients ask for every mailbox, counts included, again and again between changes (on
start, on each push, from each device), and the answer costs three queries and the building of
every object, where checking the state costs one.

Only committed states may be filed: a write transaction's own state can still roll back, and the
next commit would then reuse its number for other contents. The store hands the memo to read
transactions only.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar, cast

T = TypeVar("T")


class StateMemo:
    """At most `size` values, each filed under a key with the state it was worked out at; the
    oldest go first. Shared between reader threads: a value must never be mutated.

    A state is whatever the value was worked out from and compares equal only when that is
    unchanged: a type's state here, a record's stored bytes for `DecodedCache` (sqlite.py)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: dict[Hashable, tuple[object, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, state: object, build: Callable[..., T], *args: Any) -> T:
        """The value filed under `key` at `state`, else `build(*args)` (filed). Readers at
        different snapshots may file in any order; an entry at another state is only ever
        replaced, never returned."""
        entry = self._entries.get(key)
        if entry is not None and entry[0] == state:
            return cast(T, entry[1])
        value = build(*args)
        with self._lock:
            entries = self._entries
            entries.pop(key, None)
            while len(entries) >= self._size:
                del entries[next(iter(entries))]  # the oldest
            entries[key] = (state, value)
        return value
