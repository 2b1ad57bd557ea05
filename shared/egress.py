"""Where URLs that leave the platform may point: the egress policy for webhooks.

By default a webhook may only reach the public internet. Refused, in every spelling a URL
parser or ``getaddrinfo`` accepts (``2130706433``, ``0x7f000001``, ``0177.1``, ``127.1``,
``[::ffff:127.0.0.1]``, ``localhost.``): loopback, private, link-local (cloud metadata at
169.254.169.254, ``metadata.google.internal``), shared (100.64/10), unique-local, multicast,
reserved and unspecified addresses, and URLs that carry credentials.
``WEBHOOK_ALLOWED_NETWORKS`` (CIDRs) lets an operator allow on-premise receivers.

The policy is applied twice. ``check_url`` vets a URL when a subscription is created or
changed (the literal host, names that always mean an internal address, and what the name
resolves to now). ``EgressPolicy.resolve`` vets every connection: notify's webhook transport
(``services/notify/webhook_client.py``) resolves the name through it, which checks *every*
address it gets, and connects to an address it checked, so a name that re-resolves elsewhere
between check and connect (DNS rebinding) cannot slip through. The ``Host`` header, TLS SNI
and certificate verification keep the original name.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Protocol
from urllib.parse import urlsplit

import httpcore

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
"""Resolves (host, port) to addresses, as ``getaddrinfo`` does."""

ALLOW_HINT = "WEBHOOK_ALLOWED_NETWORKS can allow an on-premise receiver's network"

_IPV4_REFUSED: tuple[tuple[str, str], ...] = (
    ("0.0.0.0/8", "an unspecified ('this network') address"),
    ("10.0.0.0/8", "a private address"),
    ("100.64.0.0/10", "a shared (carrier-grade NAT) address"),
    ("127.0.0.0/8", "a loopback address"),
    ("169.254.0.0/16", "a link-local address (cloud metadata lives here)"),
    ("172.16.0.0/12", "a private address"),
    ("192.0.0.0/24", "a reserved (IETF protocol) address"),
    ("192.0.2.0/24", "a reserved (documentation) address"),
    ("192.88.99.0/24", "a reserved (6to4 relay) address"),
    ("192.168.0.0/16", "a private address"),
    ("198.18.0.0/15", "a reserved (benchmarking) address"),
    ("198.51.100.0/24", "a reserved (documentation) address"),
    ("203.0.113.0/24", "a reserved (documentation) address"),
    ("224.0.0.0/4", "a multicast address"),
    ("240.0.0.0/4", "a reserved address"),
)
_IPV6_REFUSED: tuple[tuple[str, str], ...] = (
    ("::/128", "an unspecified address"),
    ("::1/128", "a loopback address"),
    ("::/8", "a reserved address"),
    ("64:ff9b:1::/48", "a private (local NAT64) address"),
    ("100::/64", "a reserved (discard) address"),
    ("2001::/23", "a reserved (IETF protocol) address"),
    ("2001:db8::/32", "a reserved (documentation) address"),
    ("3fff::/20", "a reserved (documentation) address"),
    ("5f00::/16", "a reserved (segment routing) address"),
    ("fc00::/7", "a unique-local address"),
    ("fe80::/10", "a link-local address"),
    ("fec0::/10", "a site-local address"),
    ("ff00::/8", "a multicast address"),
)
REFUSED_NETWORKS: tuple[tuple[IPNetwork, str], ...] = tuple(
    (ipaddress.ip_network(cidr), why) for cidr, why in (*_IPV4_REFUSED, *_IPV6_REFUSED)
)
"""Every refused network with why, most specific first where they nest."""

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")

SPECIAL_NAMES: dict[str, tuple[str, ...]] = {
    "localhost": ("127.0.0.1", "::1"),
    "metadata": ("169.254.169.254",),
    "metadata.google.internal": ("169.254.169.254",),
    "instance-data": ("169.254.169.254",),
    "instance-data.ec2.internal": ("169.254.169.254",),
}
"""Names that mean an internal address wherever they are resolved (and ``*.localhost``)."""


class EgressRefused(ValueError):
    """The policy refuses this destination; ``reason`` says why (never a credential)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class HasAllowedNetworks(Protocol):
    webhook_allowed_networks: str


def parse_networks(raw: str) -> tuple[IPNetwork, ...]:
    """``"10.20.0.0/16, fd00::/8"`` as networks; ValueError naming the one that is wrong."""
    networks: list[IPNetwork] = []
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError as error:
            raise ValueError(f"{part!r} is not a network in CIDR notation: {error}") from None
    return tuple(networks)


def parse_ipv4_host(host: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address a host means in any spelling URL parsers and ``inet_aton`` accept.

    WHATWG's rules: up to four dot-separated parts, each decimal, ``0x`` hex or
    ``0``-prefixed octal, the last filling the remaining bytes (``127.1``, ``2130706433``).
    None when the host is a name; EgressRefused when it looks numeric but is no address.
    """
    parts = host.split(".")
    if parts and parts[-1] == "" and len(parts) > 1:
        parts.pop()  # a trailing dot
    if not parts or not _is_number(parts[-1]):
        return None
    if len(parts) > 4 or not all(_is_number(p) for p in parts):
        raise EgressRefused(f"{host} looks like an IPv4 address but is not a valid one")
    numbers = [_number(p) for p in parts]
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(numbers)):
        raise EgressRefused(f"{host} looks like an IPv4 address but is out of range")
    value = last
    for i, n in enumerate(head):
        value += n << (8 * (3 - i))
    return ipaddress.IPv4Address(value)


def _is_number(part: str) -> bool:
    if part[:2].lower() == "0x":
        return all(c in "0123456789abcdefABCDEF" for c in part[2:])
    return part.isascii() and part.isdigit()


def _number(part: str) -> int:
    if part[:2].lower() == "0x":
        return int(part[2:] or "0", 16)
    if len(part) > 1 and part.startswith("0"):
        if not all(c in "01234567" for c in part):
            raise EgressRefused(f"{part} is not an octal number")
        return int(part, 8)
    return int(part)


def normalise_host(host: str) -> str:
    """Lower case, no trailing dot, IDNA-mapped (fullwidth letters and digits become ASCII)."""
    host = host.strip().rstrip(".").lower()
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii").lower()
        except UnicodeError:
            raise EgressRefused(f"{host} is not a valid host name") from None
    return host


async def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``getaddrinfo`` gives for ``host``, in its order, once each."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class EgressPolicy:
    """Which destinations webhooks may reach.

    Args:
        allowed_networks: networks allowed even though they are internal (on-premise).
        resolver: how names are resolved (tests give a fixed table); the system's by default.
        resolve_timeout_seconds: how long ``check_url`` waits for DNS at create time.
    """

    def __init__(
        self,
        allowed_networks: Iterable[IPNetwork] = (),
        *,
        resolver: Resolver = system_resolver,
        resolve_timeout_seconds: float = 3.0,
    ) -> None:
        self.allowed_networks = tuple(allowed_networks)
        self.resolver = resolver
        self._resolve_timeout = resolve_timeout_seconds

    @classmethod
    def from_settings(
        cls, settings: HasAllowedNetworks, *, resolver: Resolver = system_resolver
    ) -> EgressPolicy:
        """The policy ``WEBHOOK_ALLOWED_NETWORKS`` describes."""
        return cls(parse_networks(settings.webhook_allowed_networks), resolver=resolver)

    # --- addresses ---------------------------------------------------------------------------

    def refusal(self, address: IPAddress) -> str | None:
        """Why ``address`` is refused, or None when a webhook may go there."""
        if self._allowed(address):
            return None
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return self.refusal(embedded)
        for network, why in REFUSED_NETWORKS:
            if address.version == network.version and address in network:
                return why
        return None

    def _allowed(self, address: IPAddress) -> bool:
        candidates = [address]
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            candidates.append(embedded)
        return any(
            a.version == n.version and a in n for a in candidates for n in self.allowed_networks
        )

    def check_address(self, address: IPAddress, host: str | None = None) -> None:
        """EgressRefused when ``address`` (what ``host`` resolved to) is not allowed."""
        why = self.refusal(address)
        if why is None:
            return
        target = _embedded_ipv4(address) or address
        shown = str(target) if host is None or host == str(target) else f"{host} ({target})"
        raise EgressRefused(f"{shown} is {why}; {ALLOW_HINT}")

    # --- URLs --------------------------------------------------------------------------------

    def check_url(self, url: str) -> str:
        """``url`` when it may receive webhooks, judged without DNS; else EgressRefused.

        Refuses other schemes, credentials, and hosts that are, or always mean, a refused
        address. A name is judged again, resolved, at every connection.
        """
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises ValueError for a port that is not a number
        except ValueError as error:
            raise EgressRefused(f"not a valid URL: {error}") from None
        if parts.scheme not in ("http", "https"):
            raise EgressRefused("only http and https URLs can receive webhooks")
        if "@" in parts.netloc:
            raise EgressRefused(
                "URLs with credentials are refused: receivers authenticate deliveries by"
                " their signature"
            )
        if not parts.hostname:
            raise EgressRefused("the URL needs a host")
        for address in self.literal_addresses(parts.hostname):
            self.check_address(address, parts.hostname)
        return url

    def literal_addresses(self, hostname: str) -> list[IPAddress]:
        """The addresses a host is without DNS: an IP in any spelling, or a special name."""
        host = normalise_host(hostname)
        if host.startswith("[") and host.endswith("]"):
            host = host[1:-1]
        try:
            return [ipaddress.ip_address(host)]
        except ValueError:
            pass
        ipv4 = parse_ipv4_host(host)
        if ipv4 is not None:
            return [ipv4]
        if host.endswith(".localhost"):
            host = "localhost"
        return [ipaddress.ip_address(a) for a in SPECIAL_NAMES.get(host, ())]

    async def check_url_resolved(self, url: str) -> str:
        """``check_url``, then the addresses the host resolves to now must be allowed too.

        A name that does not resolve (yet) is accepted: the check at delivery decides.
        """
        self.check_url(url)
        parts = urlsplit(url)
        host = normalise_host(parts.hostname or "")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            async with asyncio.timeout(self._resolve_timeout):
                found = await self.resolver(host, port)
        except (OSError, TimeoutError, UnicodeError):
            return url
        for raw in found:
            self.check_address(ipaddress.ip_address(raw), host)
        return url

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        """Every address ``host`` resolves to, each checked; EgressRefused if any is refused.

        One refused address refuses the name: a name that mixes public and internal
        addresses is what a rebinding attack looks like.
        """
        literal = self.literal_addresses(host)
        if literal:
            found = literal
        else:
            try:
                found = [ipaddress.ip_address(a) for a in await self.resolver(host, port)]
            except OSError as error:
                raise httpcore.ConnectError(f"cannot resolve {host}: {error}") from error
        if not found:
            raise httpcore.ConnectError(f"{host} resolves to no address")
        for address in found:
            self.check_address(address, host)
        return found


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, NAT64), if it carries one."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None
