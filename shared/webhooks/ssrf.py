"""SSRF rules for webhook URLs: checked when an endpoint is saved and again at connect time.

The delivery client that applies them on every request is `shared.webhooks.transport`.
"""

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Final
from urllib.parse import urlsplit

import httpx

from shared.errors import Unprocessable

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
"""Resolves (host, port) to address strings; see `system_resolve`."""

MAX_URL_LENGTH: Final = 2048
DEFAULT_PORTS: Final = {"https": 443, "http": 80}
DENIED_PORTS: Final = frozenset(
    {
        2375, 2376,  # Docker API
        2379, 2380,  # etcd
        3306,  # MySQL
        5432,  # PostgreSQL
        5672,  # AMQP
        6379,  # Redis
        6443,  # Kubernetes API
        9200,  # Elasticsearch
        10250, 10255,  # kubelet
        11211,  # memcached
        27017,  # MongoDB
    }
)  # fmt: skip
"""Unprivileged ports of internal services that a public webhook URL may not name."""

SPECIAL_USE_SUFFIXES: Final = (
    "localhost", "localdomain", "local", "internal", "intranet", "lan", "home.arpa", "corp",
    "private", "test", "invalid", "example", "onion", "alt", "arpa",
)  # fmt: skip
"""Names (and their subdomains) that are never public hosts: RFC 6761, 6762, 8375, 9476..."""

_V4_BLOCKED: Final = tuple(
    (ipaddress.IPv4Network(network), reason)
    for network, reason in (
        ("0.0.0.0/8", "unspecified ('this network')"),
        ("10.0.0.0/8", "private"),
        ("100.64.0.0/10", "carrier-grade NAT (shared address space)"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local (cloud metadata)"),
        ("172.16.0.0/12", "private"),
        ("192.0.0.0/24", "IETF protocol assignment"),
        ("192.0.2.0/24", "documentation"),
        ("192.88.99.0/24", "6to4 relay anycast"),
        ("192.168.0.0/16", "private"),
        ("198.18.0.0/15", "benchmarking"),
        ("198.51.100.0/24", "documentation"),
        ("203.0.113.0/24", "documentation"),
        ("224.0.0.0/4", "multicast"),
        ("240.0.0.0/4", "reserved"),
    )
)
_V6_BLOCKED: Final = tuple(
    (ipaddress.IPv6Network(network), reason)
    for network, reason in (
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("::ffff:0:0:0/96", "IPv4-translated"),
        ("64:ff9b:1::/48", "NAT64 local-use"),
        ("100::/64", "discard-only"),
        ("2001::/23", "IETF protocol assignment (Teredo, ORCHID...)"),
        ("2001:db8::/32", "documentation"),
        ("3fff::/20", "documentation"),
        ("5f00::/16", "SRv6 segment identifier"),
        ("fc00::/7", "unique local (ULA)"),
        ("fe80::/10", "link-local"),
        ("fec0::/10", "site-local"),
        ("ff00::/8", "multicast"),
    )
)
_IPV4_COMPATIBLE: Final = ipaddress.IPv6Network("::/96")
_NAT64: Final = ipaddress.IPv6Network("64:ff9b::/96")


class SsrfBlockedError(Unprocessable):
    """A webhook URL or the address it resolves to is refused; `reason` says why.

    At create time the API renders it as a 422 problem (extensions such as
    `pointer="/body/url"` pass through); at delivery time the attempt log records
    `error_class`.
    """

    error_class: ClassVar[str] = "ssrf_blocked"
    type_slug = "webhook-url-refused"
    title = "Webhook URL refused"

    def __init__(self, reason: str, **extensions: Any) -> None:
        super().__init__(reason, **extensions)
        self.reason = reason


class ResolutionError(Exception):
    """A webhook host does not resolve (a delivery failure of class `dns`, not a refusal)."""

    error_class: ClassVar[str] = "dns"

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(f"{host}: {reason}")
        self.host = host
        self.reason = reason


@dataclass(frozen=True, slots=True)
class WebhookUrl:
    """A URL that passed `check_url`: store `url`, connect to `host`:`port`."""

    url: str
    scheme: str
    host: str
    port: int


@dataclass(frozen=True, slots=True)
class VettedAddress:
    """Where to connect: every address `host` resolved to, each one vetted, preferred first."""

    host: str
    port: int
    addresses: tuple[str, ...]


def _embedded_ipv4(address: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, str] | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped, "IPv4-mapped"
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF), "NAT64"
    if address.sixtofour is not None:
        return address.sixtofour, "6to4"
    if address in _IPV4_COMPATIBLE and int(address) > 1:
        return ipaddress.IPv4Address(int(address)), "IPv4-compatible"
    return None


def blocked_reason(address: IPAddress) -> str | None:
    """Why an address may not be a webhook target, or None when it is globally routable.

    Refused: private, loopback, link-local, CGNAT, multicast, reserved, unspecified,
    documentation and benchmarking ranges, IPv6 site-local and ULA, and IPv4-mapped,
    IPv4-compatible, 6to4 and NAT64 forms of refused IPv4 addresses (IPv4-compatible forms
    are refused altogether: they are deprecated). The tables are explicit rather than
    `is_global` alone, whose answers vary between Python releases; `is_global` is checked too.

    Args:
        address: An IPv4 or IPv6 address.

    Returns:
        A readable reason, or None for an acceptable address.
    """
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            return "scoped (link-local) IPv6 address"
        for network, reason in _V6_BLOCKED:
            if address in network:
                return reason
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            inner, form = embedded
            inner_reason = blocked_reason(inner)
            if inner_reason is not None:
                return f"{inner_reason} IPv4 address {inner} in {form} form"
            if form == "IPv4-compatible":
                return "IPv4-compatible IPv6 address (deprecated)"
            return None
    else:
        for network4, reason in _V4_BLOCKED:
            if address in network4:
                return reason
    if not address.is_global:
        return "not globally routable"
    return None


def _parse_ip(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.removeprefix("[").removesuffix("]"))
    except ValueError:
        return None


def _normalise(host: str) -> str:
    address = _parse_ip(host)
    if address is not None:
        return str(address)
    return host.lower()


def _allowed(host: str, allow_hosts: Iterable[str]) -> bool:
    return host in {_normalise(item) for item in allow_hosts}


def _legacy_ipv4(host: str) -> bool:
    try:
        socket.inet_aton(host)
    except OSError:
        return False
    return True


def _check_name(host: str) -> None:
    if host.endswith("."):
        raise SsrfBlockedError(f"host {host!r} ends with a dot")
    if len(host) > 253:
        raise SsrfBlockedError("host name is longer than 253 characters")
    labels = host.split(".")
    for label in labels:
        if not label or len(label) > 63:
            raise SsrfBlockedError(f"host {host!r} has an empty or over-long label")
        if label.startswith("-") or label.endswith("-"):
            raise SsrfBlockedError(f"host {host!r} has a label starting or ending with '-'")
        if not all(c.isascii() and (c.isalnum() or c in "-_") for c in label):
            raise SsrfBlockedError(f"host {host!r} has characters outside [a-z0-9-_]")
    if _legacy_ipv4(host) or labels[-1].isdigit():
        raise SsrfBlockedError(f"host {host!r} is a non-canonical IPv4 literal")
    if len(labels) < 2:
        raise SsrfBlockedError(
            f"host {host!r} is a single-label name (resolved through local search domains)"
        )
    for suffix in SPECIAL_USE_SUFFIXES:
        if host == suffix or host.endswith("." + suffix):
            raise SsrfBlockedError(f"host {host!r} is a special-use name (.{suffix})")


def check_host(host: str, *, allow_hosts: Iterable[str] = ()) -> str:
    """Vet a host without resolving it: IP literals must be global, names must be public FQDNs.

    Args:
        host: A host name (IDNA ASCII) or IP literal (IPv6 with or without brackets).
        allow_hosts: Hosts accepted as they are (tests and local development: loopback...).

    Returns:
        The normalised host (lower case; compressed IP).

    Raises:
        SsrfBlockedError: The host is refused.
    """
    normalised = _normalise(host)
    if _allowed(normalised, allow_hosts):
        return normalised
    address = _parse_ip(normalised)
    if address is not None:
        reason = blocked_reason(address)
        if reason is not None:
            raise SsrfBlockedError(f"address {address} is refused: {reason}")
        return normalised
    _check_name(normalised)
    return normalised


def _check_port(host: str, port: int, allow_hosts: Iterable[str]) -> None:
    if not 0 < port < 65536:
        raise SsrfBlockedError(f"port {port} is out of range")
    if _allowed(host, allow_hosts):
        return
    if port in (80, 443):
        return
    if port < 1024:
        raise SsrfBlockedError(f"port {port} is a privileged port other than 80 and 443")
    if port in DENIED_PORTS:
        raise SsrfBlockedError(f"port {port} is the port of an internal service")


def check_url(
    url: str,
    *,
    allow_hosts: Iterable[str] = (),
    allow_http_hosts: Iterable[str] = (),
) -> WebhookUrl:
    """Vet a webhook URL when an endpoint is created or changed (no network access).

    Rules: `https` only, `http` only for hosts in `allow_http_hosts`; no user info, no
    fragment, no spaces, control characters or backslashes; host names are public FQDNs
    (no single label, no special-use suffix such as `.localhost` or `.internal`, no legacy
    numeric IPv4 such as `127.1` or `2130706433`); IP literals must be globally routable; the
    port is 80, 443 or an unprivileged port other than well-known internal services. Hosts in
    `allow_hosts` skip the address, name and port rules (but not the scheme and user info
    ones). The URL is parsed with httpx, the library that sends it, so no parser difference
    lets another host through.

    Args:
        url: The URL an operator submitted.
        allow_hosts: Hosts allowed whatever they are or resolve to (settings; tests, dev).
        allow_http_hosts: Hosts that may be reached over plain http.

    Returns:
        The normalised URL with its host and effective port.

    Raises:
        SsrfBlockedError: The URL is refused; `reason` says why.
    """
    if len(url) > MAX_URL_LENGTH:
        raise SsrfBlockedError(f"URL is longer than {MAX_URL_LENGTH} characters")
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F or c == "\\" for c in url):
        raise SsrfBlockedError("URL contains spaces, control characters or backslashes")
    try:
        parsed = httpx.URL(url)
        authority = urlsplit(url).netloc
    except (httpx.InvalidURL, ValueError):
        raise SsrfBlockedError("not a valid URL") from None
    if parsed.scheme not in DEFAULT_PORTS:
        raise SsrfBlockedError(f"scheme {parsed.scheme!r} is refused: use https")
    if "@" in authority or parsed.userinfo:
        raise SsrfBlockedError("URL carries user info (credentials): use the signing secret")
    if parsed.fragment:
        raise SsrfBlockedError("URL has a fragment")
    raw_host = parsed.raw_host.decode("ascii")
    if not raw_host:
        raise SsrfBlockedError("URL has no host")
    host = _normalise(raw_host)
    if parsed.scheme == "http" and not _allowed(host, allow_http_hosts):
        raise SsrfBlockedError(f"plain http is refused for {host}: use https")
    host = check_host(host, allow_hosts=allow_hosts)
    port = DEFAULT_PORTS[parsed.scheme] if parsed.port is None else parsed.port
    _check_port(host, port, allow_hosts)
    return WebhookUrl(url=str(parsed), scheme=parsed.scheme, host=host, port=port)


async def system_resolve(host: str, port: int) -> list[str]:
    """Resolve a host name for TCP with the running loop's `getaddrinfo`: its addresses, in
    the resolver's preference order (duplicates possible).

    Raises:
        ResolutionError: The name does not resolve.
    """
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
        )
    except (socket.gaierror, UnicodeError) as exc:
        raise ResolutionError(host, str(exc)) from None
    return [str(info[4][0]) for info in infos]


async def resolve_and_vet(
    host: str,
    port: int,
    *,
    allow_hosts: Iterable[str] = (),
    resolver: Resolver | None = None,
) -> VettedAddress:
    """Resolve a host at connect time and refuse it if ANY address is not globally routable.

    The caller connects to the returned addresses, never to the name again, so a DNS answer
    that changes between this check and the connection (rebinding) is never used. The host
    rules of `check_host` are applied first, so refused names are not even resolved.

    Args:
        host: The host of the URL (name or IP literal).
        port: The port to connect to.
        allow_hosts: Hosts accepted whatever they resolve to (tests, local development).
        resolver: Name resolution (default: `system_resolve`).

    Returns:
        The vetted addresses, in resolver preference order.

    Raises:
        SsrfBlockedError: The host, port or one of its addresses is refused.
        ResolutionError: The name does not resolve.
    """
    allow = tuple(allow_hosts)
    normalised = check_host(host, allow_hosts=allow)
    _check_port(normalised, port, allow)
    literal = _parse_ip(normalised)
    if literal is not None:
        addresses: list[IPAddress] = [literal]
    else:
        answers = await (resolver or system_resolve)(normalised, port)
        addresses = []
        for answer in answers:
            resolved = _parse_ip(answer)
            if resolved is None:
                raise SsrfBlockedError(f"{normalised} resolves to an unparsable address")
            if resolved not in addresses:
                addresses.append(resolved)
    if not addresses:
        raise ResolutionError(normalised, "no address")
    if not _allowed(normalised, allow):
        for address in addresses:
            reason = blocked_reason(address)
            if reason is not None:
                raise SsrfBlockedError(f"{normalised} resolves to {address}: {reason}")
    return VettedAddress(
        host=normalised, port=port, addresses=tuple(str(address) for address in addresses)
    )
