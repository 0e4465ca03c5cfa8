"""The one outbound HTTP client (link previews now, federation later), safe against SSRF.

Every request: the host is resolved once, every address it resolves to must be public
(never private, loopback, link-local, multicast, reserved or unspecified, IPv4 embedded in
IPv6 included), and the connection goes to the address that was checked, so a DNS answer
that changes between the check and the connect cannot redirect it. Redirects are followed
by hand and each hop is checked again. Only http and https on ports 80 and 443; a time limit
for the whole exchange and a size limit for the body; an honest User-Agent.

Loopback is allowed only when settings.TOWNSQUARE["OUTBOUND_ALLOW_LOOPBACK"] is True (the
tests, which run their own servers on 127.0.0.1); then any port is allowed too.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from email.message import Message
from urllib.parse import quote, urljoin, urlsplit

from django.conf import settings

import townsquare

HTML_MAX_BYTES = 1024 * 1024
CONNECT_TIMEOUT = 5.0
TOTAL_TIMEOUT = 10.0
MAX_REDIRECTS = 3
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
_CHUNK = 64 * 1024
_PATH_SAFE = "/?%:@!$&'()*+,;=-._~"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class OutboundError(Exception):
    """An outbound request was refused or failed; the message says why."""


class AddressRefused(OutboundError):
    """The URL names (or resolves to) an address or port this client never contacts."""


class ResponseTooLarge(OutboundError):
    """The response body is larger than the caller accepts."""


class OutboundTimeout(OutboundError):
    """The exchange took longer than allowed."""


@dataclass
class Response:
    url: str  # the final URL, after redirects
    status: int
    headers: Message = field(repr=False)
    content: bytes = field(repr=False)

    @property
    def content_type(self) -> str:
        return self.headers.get_content_type()

    @property
    def charset(self) -> str | None:
        charset = self.headers.get_content_charset()
        return str(charset) if charset else None


def user_agent() -> str:
    return f"Townsquare/{townsquare.__version__} (+{settings.BASE_URL})"


def _loopback_allowed() -> bool:
    return bool(settings.TOWNSQUARE.get("OUTBOUND_ALLOW_LOOPBACK", False))


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (IPv4-mapped, 6to4, NAT64), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_allowed_address(address: IPAddress, *, allow_loopback: bool = False) -> bool:
    """True for a globally reachable unicast address (or a loopback one, when allowed)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            return False
        inner = _embedded_ipv4(address)
        if inner is not None:
            return is_allowed_address(inner, allow_loopback=allow_loopback)
        if address.is_site_local or address.teredo is not None:
            return False
    if address.is_loopback:
        return allow_loopback
    refused = (
        address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )
    return not refused


DNS_TIMEOUT = 5.0
# getaddrinfo has no timeout of its own: lookups run here and are waited for at most
# DNS_TIMEOUT (a lookup that hangs keeps its thread, not the job).
_resolver = ThreadPoolExecutor(max_workers=4, thread_name_prefix="townsquare-dns")


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (tests replace this to simulate DNS answers)."""
    lookup = _resolver.submit(
        socket.getaddrinfo, host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )
    try:
        infos = lookup.result(timeout=DNS_TIMEOUT)
    except FutureTimeout:
        raise OutboundTimeout(f"looking up {host} took more than {DNS_TIMEOUT:.0f} s") from None
    return [str(info[4][0]) for info in infos]


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str  # as sent in Host and SNI (IDNA-encoded)
    port: int
    path: str  # path and query


def _parse(url: str) -> _Target:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise AddressRefused(f"not a valid URL: {url[:200]!r}") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise AddressRefused(f"only http and https URLs are fetched, not {scheme or 'none'}")
    if parts.username is not None or parts.password is not None:
        raise AddressRefused("URLs with credentials are not fetched")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise AddressRefused("the URL has no host")
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError as exc:
        raise AddressRefused("the URL's host name is not valid") from exc
    default = 443 if scheme == "https" else 80
    port = port or default
    if port not in (80, 443) and not _loopback_allowed():
        raise AddressRefused(f"only ports 80 and 443 are fetched, not {port}")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    path = quote(path, safe=_PATH_SAFE)  # non-ASCII and spaces percent-encoded
    return _Target(scheme, host, port, path)


def vet_host(host: str, port: int) -> list[str]:
    """Resolve `host` once and return the addresses to connect to, or raise AddressRefused
    when any address it resolves to is not allowed."""
    allow_loopback = _loopback_allowed()
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        candidates = [str(literal)]
    else:
        try:
            candidates = resolve(host, port)
        except (OSError, UnicodeError) as exc:
            raise OutboundError(f"could not resolve {host}") from exc
    if not candidates:
        raise OutboundError(f"could not resolve {host}")
    for candidate in candidates:
        try:
            address = ipaddress.ip_address(candidate.split("%", 1)[0])
        except ValueError as exc:
            raise AddressRefused(f"{host} resolved to something that is not an address") from exc
        if "%" in candidate or not is_allowed_address(address, allow_loopback=allow_loopback):
            raise AddressRefused(f"{host} resolves to {candidate}, which is not public")
    return list(dict.fromkeys(candidates))


class _PinnedConnection(http.client.HTTPConnection):
    """An HTTP(S) connection to already vetted addresses (tried in order), whatever DNS says
    now. The Host header and the TLS server name (and certificate check) use the host name."""

    def __init__(
        self, target: _Target, addresses: list[str], connect_timeout: float, deadline: float
    ) -> None:
        super().__init__(target.host, target.port, timeout=connect_timeout)
        self._addresses = addresses
        self._deadline = deadline
        self._tls = target.scheme == "https"

    def _open(self, address: str) -> socket.socket:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            remaining = self._deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no time left to connect")
            sock.settimeout(min(float(self.timeout or CONNECT_TIMEOUT), remaining))
            sock.connect((address, self.port))
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self._tls:
                context = ssl.create_default_context()
                sock = context.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise
        return sock

    def connect(self) -> None:
        error: OSError = OSError("no address to connect to")
        for address in self._addresses:
            try:
                self.sock = self._open(address)
                return
            except ssl.SSLError:
                raise  # a certificate problem is not fixed by another address
            except OSError as exc:
                error = exc
        raise error


def _read_body(response: http.client.HTTPResponse, max_bytes: int, deadline: float) -> bytes:
    length = response.getheader("Content-Length")
    if length and length.strip().isdigit() and int(length) > max_bytes:
        raise ResponseTooLarge(f"the response is larger than {max_bytes} bytes")
    chunks: list[bytes] = []
    size = 0
    while True:
        if time.monotonic() > deadline:
            raise OutboundTimeout("the response took too long")
        chunk = response.read1(_CHUNK)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > max_bytes:
            raise ResponseTooLarge(f"the response is larger than {max_bytes} bytes")
        chunks.append(chunk)


def _exchange(
    target: _Target,
    addresses: list[str],
    *,
    accept: str,
    max_bytes: int,
    connect_timeout: float,
    deadline: float,
) -> tuple[int, Message, bytes]:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise OutboundTimeout("the request took too long")
    connection = _PinnedConnection(target, addresses, connect_timeout, deadline)
    # A hard stop for the whole exchange: a server that drips bytes slowly is cut off.
    watchdog = threading.Timer(remaining, _abort, args=(connection,))
    watchdog.daemon = True
    watchdog.start()
    try:
        connection.connect()
        if connection.sock is not None:
            connection.sock.settimeout(max(deadline - time.monotonic(), 0.01))
        connection.putrequest("GET", target.path, skip_accept_encoding=True)
        connection.putheader("User-Agent", user_agent())
        connection.putheader("Accept", accept)
        connection.putheader("Accept-Encoding", "identity")
        connection.putheader("Connection", "close")
        connection.endheaders()
        response = connection.getresponse()
        if response.status in REDIRECT_STATUSES:
            return response.status, response.msg, b""
        body = _read_body(response, max_bytes, deadline)
        return response.status, response.msg, body
    except OutboundError:
        raise
    except (OSError, http.client.HTTPException, ValueError) as exc:
        if time.monotonic() >= deadline - 0.05 or isinstance(exc, TimeoutError):
            raise OutboundTimeout("the request took too long") from exc
        raise OutboundError(f"the request failed: {exc.__class__.__name__}") from exc
    finally:
        watchdog.cancel()
        connection.close()


def _abort(connection: http.client.HTTPConnection) -> None:
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def get(
    url: str,
    *,
    accept: str = "*/*",
    max_bytes: int = HTML_MAX_BYTES,
    connect_timeout: float = CONNECT_TIMEOUT,
    timeout: float = TOTAL_TIMEOUT,
    max_redirects: int = MAX_REDIRECTS,
) -> Response:
    """GET `url` safely. Raises OutboundError (or a subclass) when refused, too large, too
    slow, or when the request fails; a non-2xx status is returned, not raised."""
    deadline = time.monotonic() + timeout
    current = url
    for _hop in range(max_redirects + 1):
        target = _parse(current)
        addresses = vet_host(target.host, target.port)
        status, headers, body = _exchange(
            target,
            addresses,
            accept=accept,
            max_bytes=max_bytes,
            connect_timeout=connect_timeout,
            deadline=deadline,
        )
        if status not in REDIRECT_STATUSES:
            return Response(url=current, status=status, headers=headers, content=body)
        location = headers.get("Location")
        if not location:
            raise OutboundError(f"a redirect ({status}) without a Location")
        current = urljoin(current, location.strip())
    raise OutboundError(f"more than {max_redirects} redirects")
