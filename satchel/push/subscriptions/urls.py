"""Push URLs and server-side request forgery (RFC 8620 section 9.5: "The server MUST ensure the
URL is externally resolvable"). A URL must be https and every address its host resolves to must
be globally routable: no loopback, private, link-local, multicast, unspecified or otherwise
reserved address, IPv4-mapped IPv6 included. `allow_private` (the `push_allow_private_urls`
setting, for tests and LANs) lifts both rules.

The check runs when a subscription is created and again before every POST, and the POST then
goes to the address that was checked (the host stays in `Host` and in TLS SNI), so a name that
re-resolves to an internal address after the check (DNS rebinding) is never connected to."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit, urlunsplit

# Long enough for any push service's URL, short enough to keep rows and logs small.
MAX_URL_LENGTH = 2048
RESOLVE_TIMEOUT_SECONDS = 5.0

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UrlRefused(Exception):
    """The URL may not be used as a push endpoint; the message says why, for the client."""


# Addresses of a host tried in turn when connecting fails (IPv6 then IPv4, say).
MAX_ADDRESSES_TRIED = 3


@dataclass(frozen=True, slots=True)
class PushTarget:
    """Where one POST goes: each of `urls` names one checked address of the host itself, to be
    tried in order; `host_header` and `server_name` (TLS SNI, certificate check) keep the
    original host."""

    urls: tuple[str, ...]
    addresses: tuple[IPAddress, ...]
    host_header: str
    server_name: str


def parse_push_url(url: str, *, allow_private: bool) -> SplitResult:
    """The URL's parts if its form is acceptable (scheme, host, length); UrlRefused if not."""
    if len(url) > MAX_URL_LENGTH:
        raise UrlRefused(f"the url is longer than {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UrlRefused(f"the url is not a valid URL: {exc}") from None
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme.lower() not in schemes:
        raise UrlRefused("the url must begin with https://")
    if not parts.hostname:
        raise UrlRefused("the url has no host")
    if parts.username is not None or parts.password is not None:
        raise UrlRefused("the url must not carry credentials")
    if port == 0:
        raise UrlRefused("the url has port 0")
    if any(ch.isspace() or ord(ch) < 0x20 for ch in url):
        raise UrlRefused("the url contains spaces or control characters")
    if not parts.netloc.isascii():
        raise UrlRefused("the url's host must be ASCII (an internationalised name in punycode)")
    return parts


def is_public(address: IPAddress) -> bool:
    """A globally routable unicast address (IPv4-mapped IPv6 judged by its IPv4 address)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


async def resolve_push_url(url: str, *, allow_private: bool) -> PushTarget:
    """Check a push URL and resolve its host; UrlRefused if it may not be used."""
    parts = parse_push_url(url, allow_private=allow_private)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    addresses = await _resolve(host, port)
    if not allow_private:
        refused = [a for a in addresses if not is_public(a)]
        if refused:
            raise UrlRefused(
                f"the url's host resolves to a non-public address ({refused[0]}); push URLs"
                " must be reachable from the Internet"
            )
    tried = tuple(addresses[:MAX_ADDRESSES_TRIED])
    urls = []
    for address in tried:
        literal = f"[{address}]" if address.version == 6 else str(address)
        netloc = literal if parts.port is None else f"{literal}:{parts.port}"
        urls.append(urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", parts.query, "")))
    return PushTarget(urls=tuple(urls), addresses=tried, host_header=parts.netloc, server_name=host)


async def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host.split("%", 1)[0])]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(RESOLVE_TIMEOUT_SECONDS):
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, TimeoutError, UnicodeError) as exc:
        raise UrlRefused(f"the url's host {host!r} does not resolve ({exc})") from None
    found: list[IPAddress] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    if not found:
        raise UrlRefused(f"the url's host {host!r} has no address")
    return found
