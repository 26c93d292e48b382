"""Outbound HTTP to URLs a user gave us (image_url, webhook callbacks), guarded against SSRF.

A URL is fetched only if it is http(s) and EVERY address its host resolves to is public: not
private, loopback, link-local (cloud metadata), shared, reserved, multicast, or an IPv6 form that
embeds an IPv4 address. The connection goes to the address that was checked (the host is resolved
once and pinned, so DNS cannot answer differently between the check and the connect; TLS still
verifies the certificate against the host name). Redirects are followed at most `max_redirects`
times and each new location is checked the same way. Only ports 80 and 443 are reached. The body is
capped in bytes, and the whole request (connects, TLS handshakes, redirects, headers and body) has
one deadline: every send and receive on the socket gets only the time left, so a server dripping a
byte at a time cannot hold a fetch past it.

`allow_networks` and `allow_ports` let a deployment (the local runtime, the tests) reach networks and
ports that are otherwise refused; both are empty unless configured explicitly.
"""

import http.client
import io
import ipaddress
import socket
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from bgr_core.platform.errors import BadRequest, TooLarge

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

REDIRECTS = frozenset({301, 302, 303, 307, 308})
PORTS = frozenset({80, 443})

# Public-looking IPv6 ranges that carry an IPv4 address inside (NAT64, 6to4, Teredo): refused
# outright rather than decoded, since any of them can lead back into a private network.
_EMBEDDING_V6 = tuple(
    ipaddress.ip_network(n) for n in ("64:ff9b::/96", "64:ff9b:1::/48", "2002::/16", "2001::/32")
)


class UrlNotAllowed(BadRequest):
    """The URL may not be fetched: bad scheme, no host, or an address that is not public."""

    code = "URL_NOT_ALLOWED"


class FetchFailed(BadRequest):
    """The URL was allowed but could not be fetched: DNS, connection, timeout, too many redirects."""

    code = "URL_FETCH_FAILED"


class FetchTooLarge(TooLarge):
    code = "URL_BODY_TOO_LARGE"


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (the system resolver)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchFailed(f"cannot resolve host {host!r}: {exc}") from exc
    return list(dict.fromkeys(info[4][0] for info in infos))


@dataclass(frozen=True)
class Policy:
    schemes: frozenset[str] = frozenset({"http", "https"})
    max_bytes: int = 12 * 1024 * 1024
    timeout_seconds: float = 10.0
    max_redirects: int = 5
    allow_networks: tuple[Network, ...] = ()
    allow_ports: tuple[range, ...] = ()  # ports besides 80 and 443
    resolver: Callable[[str, int], list[str]] = resolve
    clock: Callable[[], float] = time.monotonic
    tls: ssl.SSLContext | None = field(default=None, compare=False)

    @classmethod
    def from_settings(cls, **overrides) -> "Policy":
        from bgr_core.platform.config import get_settings

        settings = get_settings()
        return cls(
            allow_networks=tuple(ipaddress.ip_network(n) for n in settings.outbound_allow_networks),
            allow_ports=tuple(port_range(text) for text in settings.outbound_allow_ports),
            **overrides,
        )


def port_range(text: str) -> range:
    """`8080` or `1024-65535` as the range of ports it names."""
    low, _, high = str(text).partition("-")
    first, last = int(low), int(high or low)
    if not 1 <= first <= last <= 65535:
        raise ValueError(f"not a port or port range: {text!r}")
    return range(first, last + 1)


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (the pinned address) and what to ask for."""

    url: str
    scheme: str
    host: str
    port: int
    address: str
    path: str


@dataclass(frozen=True)
class Response:
    url: str
    status: int
    headers: Mapping[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


def is_public(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return is_public(address.ipv4_mapped)
        if any(address in net for net in _EMBEDDING_V6):
            return False
    return address.is_global and not (address.is_multicast or address.is_reserved or address.is_unspecified)


def check_url(url: str, policy: Policy) -> Target:
    """The URL's target with its pinned address, or UrlNotAllowed saying why not."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UrlNotAllowed(f"not a valid URL: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in policy.schemes:
        raise UrlNotAllowed(f"URL scheme must be one of {sorted(policy.schemes)}, not {scheme!r}")
    host = parts.hostname
    if not host:
        raise UrlNotAllowed("URL has no host")
    port = port or (443 if scheme == "https" else 80)
    if port not in PORTS and not any(port in ports for ports in policy.allow_ports):
        raise UrlNotAllowed(f"URL port must be 80 or 443, not {port}")
    addresses = policy.resolver(host, port)
    if not addresses:
        raise FetchFailed(f"host {host!r} has no address")
    for text in addresses:
        address = ipaddress.ip_address(text.split("%")[0])
        allowed = any(address in net for net in policy.allow_networks)
        if not allowed and not is_public(address):
            raise UrlNotAllowed(f"host {host!r} resolves to a non-public address ({address})")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(url, scheme, host, port, addresses[0], path)


class _Deadlined:
    """A connected socket whose every send and receive is given only the time left before the
    deadline (a socket timeout alone bounds each call, not the request). As with a socket's own
    makefile, closing it while the answer is still being read closes it once the reader is done."""

    def __init__(self, sock: socket.socket, deadline: float, clock: Callable[[], float]):
        self._sock, self._deadline, self._clock = sock, deadline, clock
        self._readers, self._closing = 0, False

    def time_left(self) -> None:
        left = self._deadline - self._clock()
        if left <= 0:
            raise TimeoutError("deadline passed")
        self._sock.settimeout(left)

    def sendall(self, data) -> None:
        self.time_left()
        self._sock.sendall(data)

    def recv_into(self, buffer) -> int:
        self.time_left()
        return self._sock.recv_into(buffer)

    def makefile(self, mode: str = "rb", *args, **kwargs) -> io.BufferedReader:
        """The answer's reader (http.client reads status, headers and body through it)."""
        self._readers += 1
        return io.BufferedReader(_Reader(self))

    def reader_closed(self) -> None:
        self._readers -= 1
        if self._closing and not self._readers:
            self._sock.close()

    def close(self) -> None:
        self._closing = True
        if not self._readers:
            self._sock.close()


class _Reader(io.RawIOBase):
    def __init__(self, sock: _Deadlined):
        self._sock = sock

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        return self._sock.recv_into(buffer)

    def close(self) -> None:
        if not self.closed:
            self._sock.reader_closed()
        super().close()


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to the checked address (not a new lookup of the host), within the deadline."""

    def __init__(self, target: Target, deadline: float, clock: Callable[[], float]):
        super().__init__(target.host, target.port)
        self._address, self._deadline, self._clock = target.address, deadline, clock

    def _left(self) -> float:
        left = self._deadline - self._clock()
        if left <= 0:
            raise TimeoutError("deadline passed")
        return left

    def _open(self) -> socket.socket:
        return socket.create_connection((self._address, self.port), self._left())

    def connect(self):
        self.sock = _Deadlined(self._open(), self._deadline, self._clock)


class _PinnedHTTPS(_PinnedHTTP):
    def __init__(self, target: Target, deadline: float, clock: Callable[[], float], context: ssl.SSLContext):
        super().__init__(target, deadline, clock)
        self._tls = context

    def connect(self):
        raw = self._open()
        raw.settimeout(self._left())  # bounds the whole handshake
        tls = self._tls.wrap_socket(raw, server_hostname=self.host)
        self.sock = _Deadlined(tls, self._deadline, self._clock)


def fetch(
    url: str,
    policy: Policy,
    *,
    method: str = "GET",
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """One guarded request; GET follows redirects (each checked), other methods do not."""
    deadline = policy.clock() + policy.timeout_seconds
    for _ in range(policy.max_redirects + 1):
        target = check_url(url, policy)
        response = _exchange(target, policy, deadline, method, body, headers or {})
        location = response.headers.get("location")
        if method != "GET" or response.status not in REDIRECTS or not location:
            return response
        url = urljoin(url, location)
    raise FetchFailed(f"more than {policy.max_redirects} redirects")


def _exchange(target, policy, deadline, method, body, headers) -> Response:
    late = FetchFailed(f"no answer within {policy.timeout_seconds:g} s")
    if deadline - policy.clock() <= 0:
        raise late
    if target.scheme == "https":
        conn = _PinnedHTTPS(target, deadline, policy.clock, policy.tls or ssl.create_default_context())
    else:
        conn = _PinnedHTTP(target, deadline, policy.clock)
    try:
        conn.request(method, target.path, body=body, headers=dict(headers))
        raw = conn.getresponse()
        answer_headers = {k.lower(): v for k, v in raw.getheaders()}
        declared = answer_headers.get("content-length", "")
        if declared.isdigit() and int(declared) > policy.max_bytes:
            raise FetchTooLarge(f"the body is larger than {policy.max_bytes} bytes")
        chunks, size = [], 0
        while chunk := raw.read1(64 * 1024):
            size += len(chunk)
            if size > policy.max_bytes:
                raise FetchTooLarge(f"the body is larger than {policy.max_bytes} bytes")
            chunks.append(chunk)
        return Response(target.url, raw.status, answer_headers, b"".join(chunks))
    except TimeoutError as exc:
        raise late from exc
    except (OSError, http.client.HTTPException) as exc:
        raise FetchFailed(f"fetching {target.host!r} failed: {exc}") from exc
    finally:
        conn.close()
