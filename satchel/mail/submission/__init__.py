"""The submission capability (RFC 8621 section 1.3.2) and EmailSubmission (section 7)."""

from __future__ import annotations

from satchel.config import Settings
from satchel.core.registry import Registry


def register_submission(registry: Registry, settings: Settings) -> None:
    """Register `urn:ietf:params:jmap:submission` and the EmailSubmission methods."""
