"""One settings schema, read from (lowest to highest precedence) defaults, `DATA/satchel.toml`,
`SATCHEL_*` environment variables and command-line flags.

The data directory comes first and alone: `--data DIR`, else `SATCHEL_DATA`, else `./data`,
because the config file lives inside it.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

import msgspec

CONFIG_FILE = "satchel.toml"


class Settings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    data_dir: str = "./data"
    listen: str = "127.0.0.1:8080"
    workers: int = 1
    # Honour X-Forwarded-Proto/-Host/-For only from these peer addresses ("*" trusts any peer).
    trusted_proxies: list[str] = msgspec.field(default_factory=list)
    # A fixed public base URL (e.g. "https://mail.example.com") overrides the request's own.
    base_url: str | None = None
    # CORS: origins allowed to call the API from a browser ("*" allows any).
    cors_origins: list[str] = msgspec.field(default_factory=lambda: ["*"])
    # Unreferenced uploads live at least this long (RFC 8620 section 6.1: at least an hour).
    blob_expiry_seconds: int = 24 * 3600
    # Seconds a verified password stays cached (keyed by a fast hash) to spare argon2 per request.
    credential_cache_seconds: int = 300
    # Delay added to every failed login, to slow guessing.
    failed_login_delay: float = 1.0
    log_level: str = "info"
    # Mail: users' addresses are NAME@domain; a recipient is local when its domain is listed.
    domain: str = "localhost"
    local_domains: list[str] = msgspec.field(default_factory=list)  # `domain` is always local
    # LMTP listener for inbound mail: "HOST:PORT" or "unix:/path/to/socket"; "" disables it.
    lmtp_listen: str = "127.0.0.1:8024"
    # --- Outbound mail (EmailSubmission, issue 4) ---------------------------------------------
    # The SMTP relay for remote recipients, "HOST:PORT"; "" means remote recipients are refused.
    smtp_relay: str = ""
    # "starttls" (required), "starttls-if-offered", "tls" (implicit TLS) or "none".
    smtp_relay_security: str = "starttls-if-offered"
    smtp_relay_username: str = ""
    smtp_relay_password: str = ""
    # Seconds a remote delivery keeps being retried before it bounces with a DSN.
    smtp_retry_window_seconds: int = 5 * 24 * 3600
    # Seconds the relay gets to answer each command.
    smtp_relay_timeout_seconds: float = 60.0
    # The first retry of a temporarily failed remote delivery, doubling up to the maximum.
    smtp_retry_initial_seconds: float = 60.0
    smtp_retry_max_seconds: float = 3600.0
    # The longest EmailSubmission `sendAt` delay (advertised as maxDelayedSend; 0 disables).
    max_delayed_send_seconds: int = 7 * 24 * 3600
    # --- Push (issue 5) -----------------------------------------------------------------------
    # PushSubscription URLs resolving to loopback/private addresses are refused unless allowed.
    push_allow_private_urls: bool = False
    # The longest a PushSubscription lives without being extended.
    push_subscription_max_seconds: int = 7 * 24 * 3600
    # Open EventSource plus WebSocket connections one user may hold per worker process (429 beyond).
    push_max_connections_per_user: int = 100

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir)


def resolve_data_dir(flag: str | None) -> str:
    """`--data DIR`, else `SATCHEL_DATA`, else `./data`."""
    return flag or os.environ.get("SATCHEL_DATA") or "./data"


_ENV_PREFIX = "SATCHEL_"


def _from_env(environ: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for field in Settings.__struct_fields__:
        raw = environ.get(_ENV_PREFIX + field.upper())
        if raw is None or field == "data_dir":
            continue
        default = getattr(Settings(), field)
        if isinstance(default, list):
            values[field] = [item.strip() for item in raw.split(",") if item.strip()]
        else:
            values[field] = raw
    return values


def load_settings(
    data_dir: str | None = None,
    overrides: dict[str, Any] | None = None,
    environ: dict[str, str] | None = None,
) -> Settings:
    """Build Settings; raises ValueError with a readable message on a bad file or value."""
    env = dict(os.environ if environ is None else environ)
    directory = data_dir or env.get("SATCHEL_DATA") or "./data"
    merged: dict[str, Any] = {}
    path = Path(directory) / CONFIG_FILE
    if path.exists():
        try:
            merged.update(tomllib.loads(path.read_text("utf-8")))
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{path}: {exc}") from exc
    merged.update(_from_env(env))
    merged.update({k: v for k, v in (overrides or {}).items() if v is not None})
    merged["data_dir"] = directory
    try:
        return msgspec.convert(merged, Settings, strict=False)
    except msgspec.ValidationError as exc:
        raise ValueError(f"invalid setting: {exc}") from exc
