"""The SQLite store behind a test's store, for the tests about what only it does."""

from __future__ import annotations

import pytest

from satchel.store.base import Store
from satchel.store.sqlite import SqliteStore


def sqlite_of(store: Store) -> SqliteStore:
    """The SqliteStore itself (unwrapped from the push-publishing wrapper); the test is skipped
    on any other backend."""
    inner = getattr(store, "inner", store)
    if not isinstance(inner, SqliteStore):
        pytest.skip("a test of the SQLite store")
    return inner
