"""The eight limits of the core capability (RFC 8620 section 2), advertised and enforced."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CoreLimits:
    max_size_upload: int = 50_000_000
    max_concurrent_upload: int = 4
    max_size_request: int = 10_000_000
    max_concurrent_requests: int = 8
    max_calls_in_request: int = 32
    max_objects_in_get: int = 1000
    max_objects_in_set: int = 1000
    collation_algorithms: tuple[str, ...] = (
        "i;ascii-numeric",
        "i;ascii-casemap",
        "i;unicode-casemap",
    )

    def capability(self) -> dict[str, object]:
        """The value of `urn:ietf:params:jmap:core` in the Session object."""
        return {
            "maxSizeUpload": self.max_size_upload,
            "maxConcurrentUpload": self.max_concurrent_upload,
            "maxSizeRequest": self.max_size_request,
            "maxConcurrentRequests": self.max_concurrent_requests,
            "maxCallsInRequest": self.max_calls_in_request,
            "maxObjectsInGet": self.max_objects_in_get,
            "maxObjectsInSet": self.max_objects_in_set,
            "collationAlgorithms": list(self.collation_algorithms),
        }
