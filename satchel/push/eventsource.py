"""The EventSource stream of RFC 8620 section 7.3 as pure code: its query parameters, and the
bytes of its `state` and `ping` events (the text/event-stream format of the HTML Living Standard,
section 9.2). The HTTP glue is `satchel.http.eventsource`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import orjson

from satchel.push.bus import StateChange

# RFC 8620 section 7.3: a server may clamp the ping interval, but its minimum must not be above
# 30 seconds nor its maximum below 300.
MIN_PING: Final = 1
MAX_PING: Final = 3600
MAX_TYPES: Final = 256


class BadParameters(ValueError):
    """A query the event-source URL template could not have produced."""


@dataclass(frozen=True, slots=True)
class StreamParameters:
    types: frozenset[str] | None  # None: "*", every type
    close_after_state: bool
    ping: int  # seconds between pings after clamping; 0: no pings


def parse_parameters(query: Mapping[str, str]) -> StreamParameters:
    """`types`, `closeafter` and `ping` (section 7.3). A client that leaves one out gets the
    least surprising value: every type, keep the stream open, no pings."""
    raw_types = query.get("types", "*")
    types: frozenset[str] | None
    if raw_types == "*":
        types = None
    else:
        names = [name.strip() for name in raw_types.split(",")]
        if not raw_types or any(not name for name in names) or len(names) > MAX_TYPES:
            raise BadParameters("types must be * or a comma-separated list of type names")
        types = frozenset(names)
    closeafter = query.get("closeafter", "no")
    if closeafter not in ("state", "no"):
        raise BadParameters("closeafter must be state or no")
    raw_ping = query.get("ping", "0")
    if not raw_ping.isascii() or not raw_ping.isdigit() or len(raw_ping) > 9:
        raise BadParameters("ping must be a non-negative integer number of seconds")
    ping = int(raw_ping)
    if ping:
        ping = min(max(ping, MIN_PING), MAX_PING)
    return StreamParameters(types, closeafter == "state", ping)


def only_types(change: StateChange, types: frozenset[str] | None) -> StateChange | None:
    """The change limited to the client's types (section 7.3: "MUST only push changes for the
    types in this list"), or None when nothing is left."""
    if types is None:
        return change
    kept = {name: state for name, state in change.changed.items() if name in types}
    return StateChange(change.account_id, kept) if kept else None


def state_change_object(changes: Iterable[StateChange]) -> dict[str, Any]:
    """Section 7.1: one StateChange object for several accounts' changes."""
    changed: dict[str, dict[str, str]] = {}
    for change in changes:
        changed.setdefault(change.account_id, {}).update(change.changed)
    return {"@type": "StateChange", "changed": changed}


def event(name: str, data: Any, event_id: str | None = None) -> bytes:
    """One event. orjson writes no newline, so the data is a single `data:` line."""
    lines = [b"event: " + name.encode()]
    if event_id is not None:
        lines.append(b"id: " + event_id.encode())
    lines.append(b"data: " + orjson.dumps(data))
    return b"\n".join(lines) + b"\n\n"


def state_event(changes: Iterable[StateChange], event_id: str) -> bytes:
    """Section 7.3: a `state` event with the StateChange, and a new id that encodes the states
    the client now knows (for Last-Event-ID)."""
    return event("state", state_change_object(changes), event_id)


def ping_event(interval: int) -> bytes:
    """Section 7.3: `{"interval": N}` with the interval really used; a ping sets no new id."""
    return event("ping", {"interval": interval})


# A comment line: sent first, so clients and proxies see the stream open at once.
OPENING: Final = b": satchel event stream\n\n"
