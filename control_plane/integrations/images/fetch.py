"""Download one image from a third-party URL without letting that URL reach inside our network.

Each hop: parse (http/https only, no credentials), resolve the name once,
require every resolved address to be public, then connect to the checked
address itself.  The request goes to ``scheme://<ip>:<port>/path`` with the
original ``Host`` header, and for https the original name as SNI (httpx's
``sni_hostname`` extension), so the certificate is still verified against the
name.  No second lookup happens, so a DNS answer that changes between check
and connect (rebinding) cannot redirect us.  Redirects are followed by hand,
each one checked like the first.  Bodies are streamed and cut at the policy's
byte limit whatever Content-Length says; the total time is bounded too.

The client pools connections by address, not by name, so a pooled TLS
connection may have been verified for another name on the same address; such
a response is dropped before its body is read, and the request goes again on a
connection opened (and verified) for this name.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from http.cookiejar import CookieJar, DefaultCookiePolicy
from types import TracebackType
from typing import Self

import httpx

from control_plane.domain.images import ImagePolicy, ImageRejected, IPAddress, RejectReason, is_public_address

Resolver = Callable[[str], Awaitable[Sequence[IPAddress]]]
"""Host name → its addresses; injectable so tests can play DNS."""

_SCHEMES = {"http": 80, "https": 443}


async def system_resolver(host: str) -> list[IPAddress]:
    """The system resolver, off the event loop (``getaddrinfo`` runs in the loop's executor)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    found: dict[IPAddress, None] = {}
    for *_, sockaddr in infos:
        found[ipaddress.ip_address(str(sockaddr[0]))] = None
    return list(found)


@dataclass(frozen=True)
class FetchedImage:
    data: bytes
    final_url: str
    content_type_header: str | None
    """What the server claimed; informative only, the format is decided from the bytes."""


@dataclass(frozen=True)
class _Target:
    url: httpx.URL
    host: str  # ASCII (IDNA) host, without brackets
    port: int

    @property
    def host_port(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def _target(url: httpx.URL | str) -> _Target:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise ImageRejected(RejectReason.URL, f"cannot parse the URL: {exc}") from exc
    if parsed.scheme not in _SCHEMES:
        raise ImageRejected(RejectReason.SCHEME, f"only http and https are fetched, not {parsed.scheme or 'none'!r}")
    if not parsed.raw_host:
        raise ImageRejected(RejectReason.URL, "the URL has no host")
    if parsed.userinfo:
        raise ImageRejected(RejectReason.URL, "credentials in image URLs are refused")
    host = parsed.raw_host.decode("ascii").lower()
    return _Target(parsed, host, parsed.port or _SCHEMES[parsed.scheme])


def create_image_http_client(policy: ImagePolicy) -> httpx.AsyncClient:
    """A client for image downloads: no redirects, no proxy or netrc from the environment, no cookies kept."""
    timeout = httpx.Timeout(policy.read_timeout_s, connect=policy.connect_timeout_s)
    return httpx.AsyncClient(
        timeout=timeout,
        follow_redirects=False,
        trust_env=False,
        cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),  # hosts share pooled addresses
        headers={"User-Agent": "import-control-plane-images", "Accept": "image/*"},
    )


class SafeImageFetcher:
    """Fetches image URLs from providers and vendors under an :class:`ImagePolicy`.

    ``allow_hosts`` (``host`` or ``host:port``) skip the public-address check,
    for a local simulator in development; their addresses are still pinned.
    """

    def __init__(
        self,
        http: httpx.AsyncClient | None,
        policy: ImagePolicy,
        *,
        allow_hosts: frozenset[str] = frozenset(),
        resolver: Resolver | None = None,
    ) -> None:
        self._owns_http = http is None
        self._http = http if http is not None else create_image_http_client(policy)
        self._policy = policy
        self._allow = frozenset(h.lower() for h in allow_hosts)
        self._resolve = resolver or system_resolver
        self._timeout = httpx.Timeout(policy.read_timeout_s, connect=policy.connect_timeout_s)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def fetch(self, url: str) -> FetchedImage:
        """The image's bytes; :class:`ImageRejected` with a reason code otherwise."""
        try:
            async with asyncio.timeout(self._policy.total_timeout_s):
                return await self._follow(_target(url))
        except TimeoutError as exc:
            raise ImageRejected(
                RejectReason.TIMEOUT, f"no complete image within {self._policy.total_timeout_s}s"
            ) from exc

    async def _follow(self, target: _Target) -> FetchedImage:
        for _ in range(self._policy.max_redirects + 1):
            addresses = await self._checked_addresses(target)
            outcome = await self._get(target, addresses)
            if isinstance(outcome, FetchedImage):
                return outcome
            target = outcome
        raise ImageRejected(RejectReason.REDIRECTS, f"more than {self._policy.max_redirects} redirects")

    async def _checked_addresses(self, target: _Target) -> Sequence[IPAddress]:
        try:
            addresses: Sequence[IPAddress] = [ipaddress.ip_address(target.host)]
        except ValueError:
            addresses = await self._lookup(target.host)
        if target.host in self._allow or target.host_port in self._allow:
            return addresses
        refused = [str(ip) for ip in addresses if not is_public_address(ip)]
        if refused:
            raise ImageRejected(RejectReason.ADDRESS, f"{target.host} resolves to non-public {', '.join(refused)}")
        return addresses

    async def _lookup(self, host: str) -> Sequence[IPAddress]:
        try:
            addresses = await self._resolve(host)
        except (OSError, UnicodeError, ValueError) as exc:  # socket.gaierror is an OSError
            raise ImageRejected(RejectReason.DNS, f"{host} does not resolve: {exc}") from exc
        if not addresses:
            raise ImageRejected(RejectReason.DNS, f"{host} has no addresses")
        return addresses

    async def _get(self, target: _Target, addresses: Sequence[IPAddress]) -> FetchedImage | _Target:
        """One hop: the image, or the next target to check; tries each checked address until one connects."""
        last: Exception | None = None
        for ip in addresses:
            for _ in range(_POOLED_TLS_ATTEMPTS):
                try:
                    return await self._get_from(target, ip)
                except _ForeignTlsConnection as exc:
                    last = exc  # that pooled connection is closed now; the next try gets another
                except httpx.ConnectError as exc:
                    last = exc
                    break
                except httpx.HTTPError as exc:
                    raise _rejection(exc, target) from exc
        raise ImageRejected(RejectReason.CONNECTION, f"cannot connect to {target.host_port}: {last}")

    async def _get_from(self, target: _Target, ip: IPAddress) -> FetchedImage | _Target:
        extensions = {"sni_hostname": target.host} if target.url.scheme == "https" else {}
        request = self._http.build_request(
            "GET",
            target.url.copy_with(host=str(ip), port=target.port, fragment=None),
            headers={"Host": target.url.netloc.decode("ascii"), "Accept": "image/*", "Accept-Encoding": "identity"},
            extensions=extensions,
            timeout=self._timeout,
        )
        response = await self._http.send(request, stream=True, follow_redirects=False)
        try:
            if extensions and _tls_name(response) != target.host:
                raise _ForeignTlsConnection  # closing the unread response drops the connection from the pool
            if response.is_redirect:
                return _redirect_target(target, response)
            if not response.is_success:
                status = response.status_code
                raise ImageRejected(RejectReason.HTTP_STATUS, f"HTTP {status} from {target.host}", status=status)
            data = await _read_capped(response, self._policy.max_bytes)
        finally:
            await response.aclose()
        return FetchedImage(data, str(target.url), response.headers.get("content-type"))


class _ForeignTlsConnection(Exception):
    """A pooled connection to this address was verified for another name (pools key on address, not SNI)."""

    def __str__(self) -> str:
        return "only pooled connections verified for other names were offered"


_POOLED_TLS_ATTEMPTS = 4


def _tls_name(response: httpx.Response) -> str | None:
    """The name the response's TLS connection was opened (and its certificate verified) for."""
    stream = response.extensions.get("network_stream")
    ssl_object = stream.get_extra_info("ssl_object") if stream is not None else None
    name = getattr(ssl_object, "server_hostname", None)
    return name.lower() if isinstance(name, str) else None


def _rejection(exc: httpx.HTTPError, target: _Target) -> ImageRejected:
    if isinstance(exc, httpx.TimeoutException):
        return ImageRejected(RejectReason.TIMEOUT, f"{type(exc).__name__} from {target.host}")
    if isinstance(exc, httpx.DecodingError):
        return ImageRejected(RejectReason.DECODE, f"undecodable body from {target.host}: {exc}")
    return ImageRejected(RejectReason.CONNECTION, f"{type(exc).__name__} from {target.host}: {exc}")


def _redirect_target(current: _Target, response: httpx.Response) -> _Target:
    location = response.headers.get("location", "")
    try:
        next_url = current.url.join(location)
    except (httpx.InvalidURL, ValueError) as exc:
        raise ImageRejected(RejectReason.REDIRECTS, f"unusable redirect location {location[:200]!r}") from exc
    return _target(next_url)


async def _read_capped(response: httpx.Response, limit: int) -> bytes:
    """The body, refused as soon as it is announced or seen to exceed ``limit`` bytes."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ImageRejected(RejectReason.TOO_LARGE, f"Content-Length {declared} exceeds {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            raise ImageRejected(RejectReason.TOO_LARGE, f"body exceeds {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
