"""CONTRACT STUB (owned by the core-engine helper; replace the body, keep the signature)."""

from __future__ import annotations

from typing import Any

from satchel.core.limits import CoreLimits
from satchel.core.registry import Registry
from satchel.store.base import Account, User


def build_session(
    registry: Registry,
    limits: CoreLimits,
    user: User,
    accounts: list[Account],
    base_url: str,
) -> dict[str, Any]:
    """The Session object (RFC 8620 section 2) with every field. `base_url` is the absolute URL
    prefix of the server as the client reached it, e.g. "https://mail.example.com" (no trailing
    slash); the URLs are built from it: {base}/jmap/api/, {base}/jmap/upload/{accountId}/,
    {base}/jmap/download/{accountId}/{blobId}/{name}?type={type},
    {base}/jmap/eventsource/?types={types}&closeafter={closeafter}&ping={ping}.
    `state` is a digest of everything else, so it changes exactly when the Session does."""
    raise NotImplementedError
