"""What the endpoints of one application share: the services and this process's counters."""

from __future__ import annotations

from dataclasses import dataclass, field

from satchel.http.limiter import ConcurrencyLimiter
from satchel.services import Services
from satchel.store.base import Account, User

SESSIONS_KEPT = 4096


@dataclass(slots=True)
class HttpState:
    services: Services
    api_slots: ConcurrencyLimiter
    upload_slots: ConcurrencyLimiter
    # Encoded Session objects (with the second they were built in) by everything they are
    # built from; the registry and limits are this application's own.
    sessions: dict[tuple[User, tuple[Account, ...], str], tuple[int, bytes]] = field(
        default_factory=dict
    )

    @classmethod
    def build(cls, services: Services) -> HttpState:
        limits = services.limits
        return cls(
            services=services,
            api_slots=ConcurrencyLimiter(limits.max_concurrent_requests, "maxConcurrentRequests"),
            upload_slots=ConcurrencyLimiter(limits.max_concurrent_upload, "maxConcurrentUpload"),
        )
