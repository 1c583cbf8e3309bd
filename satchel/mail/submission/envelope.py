"""The SMTP envelope of an EmailSubmission (RFC 8621 section 7): its JSON shape, the envelope
derived from the Email's header fields when the client gives none, the MAIL FROM parameters
Satchel implements itself (FUTURERELEASE, RFC 4865; SIZE, RFC 1870) and the Bcc removal the RFC
requires before delivery."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from satchel.core.datatype import IdResolver, Invalid

# RFC 5321 section 4.5.3.1.8: a server must accept at least 100 recipients; Satchel takes that.
MAX_RECIPIENTS: Final = 100
# The largest message that may be sent: the same as the largest Satchel accepts over LMTP.
MAX_SEND_SIZE: Final = 50_000_000

# A Mailbox of RFC 5321 (section 4.1.2), without quoted local parts or address literals.
_MAILBOX: Final = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
)
_PARAM_NAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*")


def is_mailbox(address: str) -> bool:
    return len(address) <= 254 and _MAILBOX.fullmatch(address) is not None


def _parameters_ok(params: Any) -> bool:
    return isinstance(params, dict) and all(
        isinstance(k, str) and _PARAM_NAME.fullmatch(k) and (v is None or isinstance(v, str))
        for k, v in params.items()
    )


def _address(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict) or set(value) - {"email", "parameters"}:
        raise Invalid("an Address is an object with email and parameters")
    email = value.get("email")
    params = value.get("parameters")
    if not isinstance(email, str):
        raise Invalid("Address email must be a String")
    if params is not None and not _parameters_ok(params):
        raise Invalid("Address parameters map names to a String or null")
    return {"email": email, "parameters": params}


def envelope_value(value: Any, resolve: IdResolver, /) -> dict[str, Any]:
    """The Envelope validator: {mailFrom: Address, rcptTo: Address[]}."""
    if not isinstance(value, dict) or set(value) != {"mailFrom", "rcptTo"}:
        raise Invalid("an Envelope has exactly mailFrom and rcptTo")
    rcpt = value["rcptTo"]
    if not isinstance(rcpt, list):
        raise Invalid("rcptTo must be an array")
    return {"mailFrom": _address(value["mailFrom"]), "rcptTo": [_address(r) for r in rcpt]}


class EnvelopeProblem(ValueError):
    """The envelope cannot be derived from the Email (RFC 8621 section 7: SHOULD reject);
    `properties` names the Email properties at fault."""

    def __init__(self, description: str, properties: list[str]) -> None:
        super().__init__(description)
        self.properties = properties


def _header_count(email: dict[str, Any], name: str) -> int:
    return sum(1 for h in email.get("headers") or [] if str(h.get("name", "")).lower() == name)


def derive_envelope(email: dict[str, Any], identity_email: str) -> dict[str, Any]:
    """RFC 8621 section 7: MAIL FROM from the last Sender (else From) field's single address,
    replaced by the Identity's email when the Identity does not allow it (the caller checks
    that with `identity_allows`); RCPT TO the deduplicated To, Cc and Bcc addresses."""
    mail_from: str | None = None
    for name in ("sender", "from"):
        addresses = email.get(name) or []
        if not addresses:
            continue
        if _header_count(email, name) > 1 or len(addresses) > 1:
            raise EnvelopeProblem(
                f"the Email has more than one {name.title()} address; give an envelope instead",
                [name],
            )
        mail_from = str(addresses[0].get("email") or "")
        break
    if mail_from is None or not identity_allows(identity_email, mail_from):
        mail_from = identity_email
    seen: dict[str, str] = {}
    for name in ("to", "cc", "bcc"):
        for address in email.get(name) or []:
            found = str(address.get("email") or "")
            if found:
                seen.setdefault(found.lower(), found)
    return {
        "mailFrom": {"email": mail_from, "parameters": None},
        "rcptTo": [{"email": a, "parameters": None} for a in seen.values()],
    }


def identity_allows(identity_email: str, address: str) -> bool:
    """Whether an Identity's email covers an address (exactly, or as `*@domain`)."""
    wanted = address.strip().lower()
    mine = identity_email.strip().lower()
    if mine.startswith("*@"):
        return wanted.rpartition("@")[2] == mine[2:] and "@" in wanted
    return wanted == mine


def parse_utc(value: str) -> float | None:
    """An RFC 3339 date-time (HOLDUNTIL, UTCDate filters) as unix time; None if invalid."""
    try:
        moment = datetime.fromisoformat(value.strip().replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment.timestamp()


@dataclass(frozen=True, slots=True)
class MailParameters:
    release_at: float  # when the message may go (now without FUTURERELEASE)
    kept: tuple[str, ...] = ()  # what the queue keeps for the DSNs it writes: ENVID, RET


def _printable(value: str, limit: int) -> bool:
    return 0 < len(value) <= limit and all(" " <= ch <= "~" for ch in value)


def mail_parameters(
    params: dict[str, Any] | None, *, now: float, max_delay: int, size: int
) -> MailParameters:
    """Check the MAIL FROM parameters Satchel implements; ValueError says what is wrong.
    Values arrive xtext-decoded (RFC 8621 section 7, Address.parameters)."""
    release_at = now
    held = False
    kept: list[str] = []
    for name, value in (params or {}).items():
        key = name.upper()
        if key in ("HOLDFOR", "HOLDUNTIL"):
            if max_delay <= 0:
                raise ValueError("delayed sending (FUTURERELEASE) is not enabled on this server")
            if held:
                raise ValueError("give HOLDFOR or HOLDUNTIL, not both (RFC 4865)")
            held = True
            if key == "HOLDFOR":
                if value is None or not value.isdigit() or len(value) > 9:
                    raise ValueError("HOLDFOR takes a number of seconds")
                delay = float(int(value))
            else:
                until = None if value is None else parse_utc(value)
                if until is None:
                    raise ValueError("HOLDUNTIL takes an RFC 3339 date-time with a zone")
                delay = max(0.0, until - now)  # a past time releases at once
            if delay > max_delay:
                raise ValueError(
                    f"the delay of {int(delay)} s exceeds maxDelayedSend ({max_delay} s)"
                )
            release_at = now + delay
        elif key == "SIZE":
            if value is None or not value.isdigit():
                raise ValueError("SIZE takes a number of octets")
            if int(value) > MAX_SEND_SIZE:
                raise ValueError(f"SIZE exceeds the maximum of {MAX_SEND_SIZE} octets")
        elif key == "BODY":
            if value is None or value.upper() not in ("7BIT", "8BITMIME"):
                raise ValueError("BODY takes 7BIT or 8BITMIME")
        elif key == "ENVID":  # RFC 3461 section 4.4
            if value is None or not _printable(value, 100):
                raise ValueError("ENVID takes up to 100 printable ASCII characters")
            kept.append(f"ENVID={value}")
        elif key == "RET":  # RFC 3461 section 4.3
            if value is None or value.upper() not in ("FULL", "HDRS"):
                raise ValueError("RET takes FULL or HDRS")
            kept.append(f"RET={value.upper()}")
        else:
            raise ValueError(f"the MAIL FROM parameter {name} is not supported")
    return MailParameters(release_at, tuple(kept))


_NOTIFY_KINDS: Final = frozenset({"SUCCESS", "FAILURE", "DELAY"})


def rcpt_parameters(params: dict[str, Any] | None) -> tuple[str, ...]:
    """Check a recipient's RCPT TO parameters (RFC 3461 section 4: NOTIFY, ORCPT) and return
    them as the queue keeps them; ValueError says what is wrong."""
    kept: list[str] = []
    for name, value in (params or {}).items():
        key = name.upper()
        if key == "NOTIFY":
            kinds = [k.strip().upper() for k in str(value or "").split(",")]
            if kinds != ["NEVER"] and (not kinds or not set(kinds) <= _NOTIFY_KINDS):
                raise ValueError("NOTIFY takes NEVER or a list of SUCCESS, FAILURE, DELAY")
            kept.append("NOTIFY=" + ",".join(kinds))
        elif key == "ORCPT":
            kind, semicolon, address = str(value or "").partition(";")
            if not semicolon or not kind.strip() or not _printable(address, 500):
                raise ValueError("ORCPT takes addr-type;address, e.g. rfc822;bob@example.com")
            kept.append(f"ORCPT={kind.strip().lower()};{address}")
        else:
            raise ValueError(f"the RCPT TO parameter {name} is not supported")
    return tuple(kept)


def parameter(params: tuple[str, ...] | list[str], name: str) -> str | None:
    """The value of a kept parameter ("NAME=value"), if present."""
    prefix = name.upper() + "="
    for param in params:
        if param.upper().startswith(prefix):
            return param[len(prefix) :]
    return None


def notify(params: tuple[str, ...] | list[str]) -> frozenset[str]:
    """What a recipient asked to be told about (RFC 3461 section 4.1): absent NOTIFY means
    failures (and delays, which Satchel does not report)."""
    value = parameter(params, "NOTIFY")
    if value is None:
        return frozenset({"FAILURE"})
    return frozenset(value.split(",")) - {"NEVER"}


def submission_extensions(max_delay: int) -> dict[str, list[str]]:
    """What the account capability advertises: exactly the parameters `mail_parameters` and
    `rcpt_parameters` accept (RFC 1870: SIZE's arg is the maximum size; DSN, RFC 3461, is
    implemented by Satchel itself, which writes the notifications: RFC 8621 section 1.3.2 allows
    that). FUTURERELEASE carries only its interval here: `with_latest_release` adds the date."""
    extensions: dict[str, list[str]] = {"SIZE": [str(MAX_SEND_SIZE)], "8BITMIME": [], "DSN": []}
    if max_delay > 0:
        extensions["FUTURERELEASE"] = [str(max_delay)]
    return extensions


def with_latest_release(extensions: dict[str, list[str]], now: float) -> dict[str, list[str]]:
    """RFC 4865 section 3: FUTURERELEASE's args are the longest interval in seconds and the
    latest release date-time, which is now plus that interval."""
    release = extensions.get("FUTURERELEASE")
    if not release:
        return extensions
    interval = int(release[0])
    latest = datetime.fromtimestamp(int(now) + interval, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {**extensions, "FUTURERELEASE": [str(interval), latest]}


_BCC_FIELD: Final = re.compile(rb"(?im)^bcc[ \t]*:.*(?:\r?\n[ \t].*)*\r?\n")


def without_bcc(raw: bytes) -> bytes:
    """The message with every Bcc header field removed (RFC 8621 section 7: MUST)."""
    match = re.search(rb"\r?\n\r?\n", raw)
    end = len(raw) if match is None else match.end()
    head = raw[:end]
    if match is not None and not head.lower().startswith(b"bcc") and b"\nbcc" not in head.lower():
        return raw
    return _BCC_FIELD.sub(b"", head) + raw[end:]
