"""A real SQLite store in a temporary data directory for the authenticator tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from satchel.store import open_store
from satchel.store.base import Store


@pytest.fixture
def auth_store(tmp_path: Path) -> Iterator[Store]:
    store = open_store(tmp_path / "data")
    yield store
    store.close_sync()
