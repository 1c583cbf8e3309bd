"""JMAP errors: request-level (RFC 8620 section 3.6.1, RFC 7807 problem details), method-level
(section 3.6.2) and per-object SetError (section 5.3).

They are exceptions so that validation code deep in a method can stop the call with one `raise`;
the engine turns them into the wire form. No HTTP here: `status` is advice the transport reads.
"""

from __future__ import annotations

from typing import Any

PROBLEM_PREFIX = "urn:ietf:params:jmap:error:"


class RequestError(Exception):
    """Rejects the whole request (RFC 8620 section 3.6.1)."""

    def __init__(
        self,
        type: str,
        detail: str,
        status: int = 400,
        limit: str | None = None,
    ) -> None:
        super().__init__(detail)
        self.type = type
        self.detail = detail
        self.status = status
        self.limit = limit

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": self.type if ":" in self.type else PROBLEM_PREFIX + self.type,
            "status": self.status,
            "detail": self.detail,
        }
        if self.limit is not None:
            body["limit"] = self.limit
        return body


def not_json(detail: str) -> RequestError:
    return RequestError("notJSON", detail)


def not_request(detail: str) -> RequestError:
    return RequestError("notRequest", detail)


def unknown_capability(detail: str) -> RequestError:
    return RequestError("unknownCapability", detail)


def limit_error(limit: str, detail: str, status: int = 400) -> RequestError:
    return RequestError("limit", detail, status=status, limit=limit)


class MethodError(Exception):
    """Fails one method call: answered as ["error", {"type": ...}, callId]."""

    def __init__(self, type: str, description: str | None = None, **extra: Any) -> None:
        super().__init__(description or type)
        self.type = type
        self.description = description
        self.extra = extra

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"type": self.type}
        if self.description:
            body["description"] = self.description
        body.update(self.extra)
        return body


def invalid_arguments(description: str) -> MethodError:
    return MethodError("invalidArguments", description)


def account_not_found(account_id: object) -> MethodError:
    return MethodError("accountNotFound", f"no account {account_id!r} is visible to this user")


class SetError(Exception):
    """Fails one object in a /set or /copy (RFC 8620 section 5.3)."""

    def __init__(
        self,
        type: str,
        description: str | None = None,
        properties: list[str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(description or type)
        self.type = type
        self.description = description
        self.properties = properties
        self.extra = extra

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"type": self.type}
        if self.description:
            body["description"] = self.description
        if self.properties is not None:
            body["properties"] = self.properties
        body.update(self.extra)
        return body


def invalid_properties(description: str, *properties: str) -> SetError:
    return SetError("invalidProperties", description, properties=list(properties))
