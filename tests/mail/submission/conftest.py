"""Fixtures for the EmailSubmission tests: alice and bob on the suite's real store, each with a
client through the engine, on a server whose domain is example.org (no relay unless a test
configures one)."""

from __future__ import annotations

from pathlib import Path

import pytest
from submission_client import SubmissionClient

from satchel.config import Settings
from satchel.store.base import Store


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=str(tmp_path / "data"), domain="example.org")


@pytest.fixture
def alice(store: Store, settings: Settings) -> SubmissionClient:
    return SubmissionClient(store, settings, "alice")


@pytest.fixture
def bob(store: Store, settings: Settings, alice: SubmissionClient) -> SubmissionClient:
    return SubmissionClient(store, settings, "bob")
