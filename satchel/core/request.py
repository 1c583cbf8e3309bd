"""CONTRACT STUB (owned by the core-engine helper; replace the body, keep the signatures)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from satchel.core.limits import CoreLimits


@dataclass(frozen=True, slots=True)
class Invocation:
    name: str
    arguments: dict[str, Any]
    call_id: str


@dataclass(frozen=True, slots=True)
class Request:
    using: tuple[str, ...]
    method_calls: tuple[Invocation, ...]
    created_ids: dict[str, str] | None


def parse_request(body: bytes, limits: CoreLimits) -> Request:
    """Parse an HTTP body. Raises RequestError: notJSON, notRequest, limit (maxSizeRequest with
    status 413, maxCallsInRequest)."""
    raise NotImplementedError


def request_from_object(obj: Any, limits: CoreLimits) -> Request:
    """Validate an already-decoded Request object (the WebSocket path)."""
    raise NotImplementedError
