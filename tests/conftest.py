"""Fixtures shared by the whole suite: a real store in a temporary data directory.

`store` is parametrised by backend so that the same tests run on every backend: a PostgreSQL
backend joins by adding its name to `STORE_BACKENDS` and a branch to `open_test_store`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from satchel.store.base import Store

STORE_BACKENDS = ["sqlite"]


def open_test_store(backend: str, data_dir: Path) -> Store:
    if backend == "sqlite":
        from satchel.store.sqlite import SqliteStore

        return SqliteStore.open(data_dir)
    raise ValueError(f"unknown store backend {backend!r}")


@pytest.fixture(params=STORE_BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An opened, migrated, empty store; closed after the test."""
    opened = open_test_store(request.param, tmp_path / "data")
    yield opened
    opened.close_sync()
