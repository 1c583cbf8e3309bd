"""Identity (RFC 8621 section 6)."""

from __future__ import annotations

from satchel.config import Settings
from satchel.core.registry import Registry


def register_identity(registry: Registry, settings: Settings) -> None:
    """Register Identity/get, /changes and /set under the submission capability."""
