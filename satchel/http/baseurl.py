"""The absolute base URL a client reached us by, from which the Session's URLs are built.

CONTRACT point 2: `apiUrl`, `uploadUrl`, `downloadUrl` and `eventSourceUrl` are absolute and use
the request's scheme and Host. `X-Forwarded-Proto`/`-Host` are believed only from a peer listed in
`settings.trusted_proxies` (an address, a CIDR network, or "*" for any peer): from anyone else they
are attacker-controlled and would let a request poison the URLs we hand out. A configured
`settings.base_url` overrides everything.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence

from satchel.http.responses import HttpProblem

# RFC 3986 host (reg-name, IPv4, or an IPv6 literal in brackets) with an optional port. Anything
# else (spaces, slashes, braces, quotes) is refused rather than copied into a URL template.
_HOST = re.compile(r"(?:[A-Za-z0-9\-._~]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")


def _first(value: str) -> str:
    # Proxies append: "client-proto, proxy2-proto". The first entry is the client's view.
    return value.split(",", 1)[0].strip()


def peer_is_trusted(peer: str | None, trusted: Sequence[str]) -> bool:
    if not trusted:
        return False
    if "*" in trusted:
        return True
    if peer is None:
        return False
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    for entry in trusted:
        try:
            if address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def request_base_url(
    scheme: str,
    headers: Mapping[str, str],
    peer: str | None,
    server: tuple[str, int | None] | None,
    trusted_proxies: Sequence[str],
    configured: str | None,
) -> str:
    """ "scheme://host[:port]" with no trailing slash. Raises HttpProblem(400) for a Host header
    that is not a host."""
    if configured:
        return configured.rstrip("/")
    host = headers.get("host")
    if peer_is_trusted(peer, trusted_proxies):
        forwarded_proto = _first(headers.get("x-forwarded-proto", "")).lower()
        if forwarded_proto in ("http", "https"):
            scheme = forwarded_proto
        forwarded_host = _first(headers.get("x-forwarded-host", ""))
        if forwarded_host:
            host = forwarded_host
    if not host:
        if server is None:
            raise HttpProblem(400, "the request has no Host header")
        name, port = server
        if ":" in name:
            name = f"[{name}]"
        host = name if port is None else f"{name}:{port}"
    if not _HOST.fullmatch(host):
        raise HttpProblem(400, "the Host header is not a valid host")
    if scheme not in ("http", "https"):
        scheme = "https" if scheme == "wss" else "http"
    return f"{scheme}://{host}"
