"""Storage: the only package that writes SQL or touches blob files. See `base.py`."""

from __future__ import annotations

from pathlib import Path

from satchel.store.base import Store


def open_store(data_dir: Path) -> Store:
    """Open (creating and migrating if needed) the embedded SQLite store under `data_dir`."""
    from satchel.store.sqlite import SqliteStore

    return SqliteStore.open(data_dir)
