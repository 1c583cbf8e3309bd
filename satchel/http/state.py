"""What the endpoints of one application share: the services and this process's counters."""

from __future__ import annotations

from dataclasses import dataclass

from satchel.http.limiter import ConcurrencyLimiter
from satchel.services import Services


@dataclass(slots=True)
class HttpState:
    services: Services
    api_slots: ConcurrencyLimiter
    upload_slots: ConcurrencyLimiter

    @classmethod
    def build(cls, services: Services) -> HttpState:
        limits = services.limits
        return cls(
            services=services,
            api_slots=ConcurrencyLimiter(limits.max_concurrent_requests, "maxConcurrentRequests"),
            upload_slots=ConcurrencyLimiter(limits.max_concurrent_upload, "maxConcurrentUpload"),
        )
