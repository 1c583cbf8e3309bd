"""CONTRACT STUB (owned by the core-engine helper; replace the body, keep the signature).

`process(ctx, request)` is the whole JMAP API: a parsed Request in, a Response object out.
HTTP POST and WebSocket both call it. No headers, no status codes here.
"""

from __future__ import annotations

from typing import Any

from satchel.core.context import RequestContext
from satchel.core.request import Request


async def process(ctx: RequestContext, request: Request) -> dict[str, Any]:
    """Run every method call in order (RFC 8620 section 3.3) and return the Response object:
    {"methodResponses": [...], "sessionState": ..., "createdIds"?: {...}}.

    Raises RequestError only for problems found before any call runs (unknown capability)."""
    raise NotImplementedError
