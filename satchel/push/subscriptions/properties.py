"""The PushSubscription object (RFC 8620 section 7.2): its properties as /get shows them and
the checks on what a client may send in /set. Pure functions; no I/O.

`url` and `keys` are write-only: /get never returns them (section 7.2.1). `verificationCode` is
shown as the client set it: null until the subscription is verified."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from satchel.push.subscriptions.webpush import BadKeys, check_keys
from satchel.store.push_base import PushSubscriptionRow

TYPE_NAME = "PushSubscription"
# Every property, in the RFC's order; /get's default leaves out the write-only ones.
PROPERTIES = ("id", "deviceClientId", "url", "keys", "verificationCode", "expires", "types")
WRITE_ONLY = frozenset({"url", "keys"})
GET_DEFAULT = tuple(p for p in PROPERTIES if p not in WRITE_ONLY)
UPDATABLE = frozenset({"verificationCode", "expires", "types"})

MAX_DEVICE_CLIENT_ID_LENGTH = 255
MAX_TYPES = 64
MAX_TYPE_NAME_LENGTH = 64

# RFC 8620 section 1.4: UTCDate is a Date (RFC 3339 date-time) whose time-offset is "Z".
_UTC_DATE = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?Z")


class Invalid(ValueError):
    """One property's value is unacceptable; `properties` names it for invalidProperties."""

    def __init__(self, description: str, *properties: str) -> None:
        super().__init__(description)
        self.description = description
        self.properties = list(properties)


def parse_utc_date(value: object) -> float:
    """A UTCDate as seconds since the epoch; ValueError if it is not one."""
    if not isinstance(value, str):
        raise ValueError("not a string")
    match = _UTC_DATE.fullmatch(value)
    if match is None:
        raise ValueError("not a UTCDate")
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction = float(match.group(7) or 0)
    when = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    return when.timestamp() + fraction


def format_utc_date(seconds: float) -> str:
    """Whole seconds: RFC 8620 section 1.4 omits a zero fraction."""
    return datetime.fromtimestamp(int(seconds), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def capped_expiry(requested: float | None, now: float, max_seconds: int) -> float:
    """Section 7.2: without an expiry the server sets one; a later one is shortened to the
    server's limit. Whole seconds, so what /set reports is exactly what /get shows."""
    limit = float(int(now + max_seconds))
    if requested is None or requested > limit:
        return limit
    return float(int(requested))


def as_shown(row: PushSubscriptionRow, properties: tuple[str, ...] = GET_DEFAULT) -> dict[str, Any]:
    values: dict[str, Any] = {
        "id": row.id,
        "deviceClientId": row.device_client_id,
        "verificationCode": row.verification_code if row.verified else None,
        "expires": format_utc_date(row.expires),
        "types": None if row.types is None else list(row.types),
    }
    return {name: values[name] for name in properties}


def check_device_client_id(value: object) -> str:
    if (
        not isinstance(value, str)
        or not value
        or len(value) > MAX_DEVICE_CLIENT_ID_LENGTH
        or not value.isprintable()
    ):
        raise Invalid(
            f"deviceClientId must be a non-empty String of at most {MAX_DEVICE_CLIENT_ID_LENGTH}"
            " printable characters",
            "deviceClientId",
        )
    return value


def check_keys_value(value: object) -> tuple[str, str] | None:
    """`keys`: null, or an object with URL-safe base64 `p256dh` and `auth` (RFC 8291)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise Invalid("keys must be an object with p256dh and auth, or null", "keys")
    p256dh, auth = value.get("p256dh"), value.get("auth")
    if not isinstance(p256dh, str) or not isinstance(auth, str):
        raise Invalid("keys must have String members p256dh and auth", "keys")
    try:
        check_keys(p256dh, auth)
    except BadKeys as exc:
        raise Invalid(str(exc), "keys") from None
    return p256dh, auth


def check_types(value: object) -> tuple[str, ...] | None:
    """`types`: null (every type) or a list of type names (duplicates dropped)."""
    if value is None:
        return None
    if (
        not isinstance(value, list)
        or len(value) > MAX_TYPES
        or not all(
            isinstance(v, str) and 0 < len(v) <= MAX_TYPE_NAME_LENGTH and v.isprintable()
            for v in value
        )
    ):
        raise Invalid("types must be null or an array of type names", "types")
    return tuple(dict.fromkeys(value))


def check_expires(value: object, now: float) -> float | None:
    """`expires`: null or a UTCDate in the future."""
    if value is None:
        return None
    try:
        when = parse_utc_date(value)
    except ValueError:
        raise Invalid("expires must be a UTCDate such as 2026-01-31T12:00:00Z", "expires") from None
    if when <= now:
        raise Invalid("expires must be in the future", "expires")
    return when
