"""Where webhooks may go (the SSRF guard), and the one HTTP POST that goes there.

A subscription's URL must be https and every address its host resolves to must be public: no
loopback, private, link-local (cloud metadata at 169.254.169.254), carrier-grade NAT, multicast or
reserved ranges, checked when the subscription is saved and again before every attempt (DNS may
change). The POST connects to the address that was checked (no second lookup to rebind) and never
follows a redirect. WEBHOOKS_ALLOW_LOOPBACK (tests, the demo; refused in production) lets
http://127.0.0.1 and ::1 through for a receiver on the same machine.
"""

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _

from webhooks.errors import WebhookCode, WebhookError

EXCERPT = 500


def _refuse(url: str, why: str):
    raise WebhookError(
        _("%(value)s is refused: %(why)s.") % {"value": url[:200], "why": why},
        code=WebhookCode.UNSAFE_URL,
        fields={"url": [why]},
    )


def _address_problem(address: str) -> str | None:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return None if settings.WEBHOOKS_ALLOW_LOOPBACK else f"{ip} is a loopback address"
    if ip.is_link_local:
        return f"{ip} is a link-local address"
    if ip.is_private or ip.is_reserved or ip.is_multicast or ip.is_unspecified or not ip.is_global:
        return f"{ip} is not a public address"
    return None


@dataclass(frozen=True)
class Destination:
    scheme: str
    host: str
    port: int
    target: str  # path and query
    address: str  # the checked IP the request connects to


def check_url(url: str, *, must_resolve: bool = True) -> Destination | None:
    """Refuse (WebhookError unsafe_url) a URL webhooks must not reach; the checked destination.

    With must_resolve=False (saving a subscription) a host that does not resolve yet is accepted;
    every address it does resolve to is checked, and all are checked again at each delivery.
    """
    try:
        URLValidator(schemes=["http", "https"])(url)
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except (ValueError, ValidationError):
        _refuse(url, "it is not a valid URL")
    host = (parts.hostname or "").rstrip(".").lower()
    if parts.scheme not in ("https", "http") or not host:
        _refuse(url, "only https URLs are accepted")
    if parts.scheme == "http" and not settings.WEBHOOKS_ALLOW_LOOPBACK:
        _refuse(url, "only https URLs are accepted")
    if parts.username or parts.password:
        _refuse(url, "credentials in the URL are not accepted (verify the signature instead)")
    host_is_loopback_name = host == "localhost" or host.endswith(".localhost")
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    addresses: list[str] = [str(literal)] if literal is not None else []
    if host_is_loopback_name and not settings.WEBHOOKS_ALLOW_LOOPBACK:
        _refuse(url, f"{host} is a loopback name")
    if literal is None:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            if must_resolve:
                _refuse(url, f"{host} does not resolve")
            infos = []
        addresses = sorted({info[4][0] for info in infos})
    for address in addresses:
        problem = _address_problem(address)
        if problem:
            _refuse(url, problem)
    loopback_only = bool(addresses) and all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses)
    if parts.scheme != "https" and not loopback_only:
        _refuse(url, "only https URLs are accepted")
    if not addresses:
        return None
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Destination(parts.scheme, host, port, target, addresses[0])


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, destination: Destination, timeout: float):
        super().__init__(destination.host, destination.port, timeout=timeout)
        self._address = destination.address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, destination: Destination, timeout: float):
        super().__init__(destination.host, destination.port, timeout=timeout, context=ssl.create_default_context())
        self._address = destination.address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


@dataclass(frozen=True)
class Answer:
    ok: bool
    status: int | None
    latency_ms: int
    excerpt: str
    error: str


def post(url: str, *, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
    """POST once; any 2xx is success. Never raises: refusals and network errors become an Answer."""
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        destination = check_url(url)
    except WebhookError as exc:
        return Answer(False, None, elapsed(), "", exc.message[:EXCERPT])
    cls = _PinnedHTTPSConnection if destination.scheme == "https" else _PinnedHTTPConnection
    conn = cls(destination, timeout)
    try:
        conn.request("POST", destination.target, body=body, headers=headers)
        response = conn.getresponse()
        excerpt = response.read(4096).decode("utf-8", errors="replace")[:EXCERPT]
        return Answer(200 <= response.status < 300, response.status, elapsed(), excerpt, "")
    except (OSError, http.client.HTTPException, ssl.SSLError) as exc:
        return Answer(False, None, elapsed(), "", f"{type(exc).__name__}: {exc}"[:EXCERPT])
    finally:
        conn.close()
