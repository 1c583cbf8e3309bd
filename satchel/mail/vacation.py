"""VacationResponse (RFC 8621 section 8)."""

from __future__ import annotations

from satchel.config import Settings
from satchel.core.registry import Registry


def register_vacation(registry: Registry, settings: Settings) -> None:
    """Register `urn:ietf:params:jmap:vacationresponse` and VacationResponse/get and /set."""
