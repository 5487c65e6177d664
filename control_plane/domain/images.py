"""Image rules: which bytes we accept, which addresses we may fetch from, and where results are stored.

Image URLs come from third parties (providers and vendors' catalogs), so a
download is a request made on someone else's behalf from inside our network.
These rules keep it to public addresses and bounded work; the fetcher and the
thumbnailer in ``control_plane.integrations.images`` apply them.

Storage keys are content addressed (SHA-256 of the original bytes) and carry
no company: identical bytes imported twice, by a re-run or by two companies,
are one object, and a re-run uploads nothing.  Nothing is lost by sharing:
each company's ``product_images`` rows point at the keys and record the bytes,
and ``storage_usage`` is summed from those rows, so usage, quotas and deletion
stay per company (an object is deleted only when no row references it).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from enum import StrEnum

from control_plane.domain.errors import DomainError

MIB = 1024 * 1024
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class ImageFormat(StrEnum):
    """Accepted formats, named as Pillow names them.

    The common web formats only.  GIF is accepted for its first frame (the
    thumbnail is a still image); BMP, TIFF, SVG (a document that can carry
    script), HEIC and ICO are refused: catalogs rarely use them and each one
    adds decoder surface.
    """

    JPEG = "JPEG"
    PNG = "PNG"
    WEBP = "WEBP"
    GIF = "GIF"

    @property
    def content_type(self) -> str:
        return _CONTENT_TYPES[self]

    @property
    def extension(self) -> str:
        return _EXTENSIONS[self]


_CONTENT_TYPES = {
    ImageFormat.JPEG: "image/jpeg",
    ImageFormat.PNG: "image/png",
    ImageFormat.WEBP: "image/webp",
    ImageFormat.GIF: "image/gif",
}
_EXTENSIONS = {ImageFormat.JPEG: "jpg", ImageFormat.PNG: "png", ImageFormat.WEBP: "webp", ImageFormat.GIF: "gif"}


class RejectReason(StrEnum):
    """Stable codes for why an image was refused; stored on the image row and counted in metrics."""

    URL = "url"  # malformed URL, or credentials in it
    SCHEME = "scheme"  # not http or https
    ADDRESS = "address"  # resolves to a non-public address
    DNS = "dns"  # the name does not resolve
    REDIRECTS = "redirects"  # too many redirects, or a redirect without a usable Location
    TOO_LARGE = "too_large"  # more bytes than the policy allows
    TIMEOUT = "timeout"  # connect, read or total time exceeded
    CONNECTION = "connection"  # refused, reset, TLS failure
    HTTP_STATUS = "http_status"  # a final answer other than 2xx
    FORMAT = "format"  # not one of the accepted formats (decided from the bytes)
    BOMB = "bomb"  # declares more pixels than the policy allows
    DECODE = "decode"  # truncated or corrupt


_RETRYABLE = frozenset({RejectReason.TIMEOUT, RejectReason.CONNECTION, RejectReason.DNS})


class ImageRejected(DomainError):
    """One image cannot be imported; the product import goes on without it."""

    code = "image_rejected"

    def __init__(self, reason: RejectReason, detail: str, *, status: int | None = None) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.reason_detail = detail
        self.status = status

    def __reduce__(self) -> tuple[type[ImageRejected], tuple[RejectReason, str], dict[str, object]]:
        """Survives pickling, so a process pool hands the same error back."""
        return (type(self), (self.reason, self.reason_detail), {"status": self.status})

    @property
    def retryable(self) -> bool:
        """True when trying again later may succeed (network trouble, 429, 5xx); the worker decides."""
        if self.reason is RejectReason.HTTP_STATUS:
            return self.status is not None and (self.status == 429 or self.status >= 500)
        return self.reason in _RETRYABLE

    @property
    def worth_retrying_now(self) -> bool:
        """A dropped connection or a 429/5xx: try again within the job after a short pause.

        Timeouts have already spent their time and a name that does not resolve
        will not in a second, so those are recorded at once.
        """
        return self.retryable and self.reason not in (RejectReason.TIMEOUT, RejectReason.DNS)


@dataclass(frozen=True)
class ImagePolicy:
    """Limits for one download and its decoding.

    40 MP covers any real product photo (8000 x 5000) while capping a decoded
    RGBA frame near 160 MB; 20 MiB is far above a well-compressed 40 MP JPEG.
    """

    max_bytes: int = 20 * MIB
    max_pixels: int = 40_000_000
    thumbnail_box: tuple[int, int] = (320, 320)
    formats: frozenset[ImageFormat] = frozenset(ImageFormat)
    max_redirects: int = 3
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 15.0
    total_timeout_s: float = 60.0
    download_attempts: int = 3
    retry_backoff_s: float = 0.5

    def __post_init__(self) -> None:
        if self.max_bytes < 1 or self.max_pixels < 1:
            raise ValueError("max_bytes and max_pixels must be positive")
        if min(self.thumbnail_box) < 1:
            raise ValueError(f"thumbnail_box must be positive, not {self.thumbnail_box!r}")
        if not self.formats:
            raise ValueError("at least one image format must be allowed")
        if self.max_redirects < 0:
            raise ValueError("max_redirects must not be negative")
        if min(self.connect_timeout_s, self.read_timeout_s, self.total_timeout_s) <= 0:
            raise ValueError("timeouts must be positive")
        if self.download_attempts < 1 or self.retry_backoff_s < 0:
            raise ValueError("download_attempts must be at least 1 and retry_backoff_s not negative")

    def retry_delay_s(self, attempt: int) -> float:
        """Pause before download attempt ``attempt + 1``: doubling from the base."""
        return self.retry_backoff_s * float(2 ** (attempt - 1))


def original_key(sha256: str, fmt: ImageFormat) -> str:
    """``originals/<first two hex digits>/<sha256>.<ext>``; the prefix spreads keys over partitions."""
    _check_digest(sha256)
    return f"originals/{sha256[:2]}/{sha256}.{fmt.extension}"


def thumbnail_key(sha256: str, box: tuple[int, int]) -> str:
    """``thumbnails/<xx>/<sha256>_<w>x<h>.jpg``; ``<w>x<h>`` is the box, so the key is known before decoding."""
    _check_digest(sha256)
    return f"thumbnails/{sha256[:2]}/{sha256}_{box[0]}x{box[1]}.jpg"


def _check_digest(sha256: str) -> None:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError(f"not a lowercase hex SHA-256 digest: {sha256!r}")


def _nets(*cidrs: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(c) for c in cidrs)


# Explicit tables: the stdlib's is_global differs between Python versions and calls 224.0.0.0/4 or fec0::/10 global.
_BLOCKED_V4 = _nets(
    "0.0.0.0/8",  # "this network", incl. the unspecified address
    "10.0.0.0/8",
    "100.64.0.0/10",  # carrier-grade NAT
    "127.0.0.0/8",
    "169.254.0.0/16",  # link-local, incl. cloud metadata 169.254.169.254
    "172.16.0.0/12",
    "192.0.0.0/24",  # IETF protocol assignments
    "192.0.2.0/24",  # documentation
    "192.88.99.0/24",  # deprecated 6to4 relay anycast
    "192.168.0.0/16",
    "198.18.0.0/15",  # benchmarking
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",  # multicast
    "240.0.0.0/4",  # reserved, incl. broadcast
)
_BLOCKED_V6 = _nets(
    "::/128",
    "::1/128",
    "64:ff9b:1::/48",  # local-use NAT64 (RFC 8215)
    "100::/64",  # discard-only
    "2001::/23",  # IETF protocol assignments, incl. Teredo 2001::/32
    "2001:db8::/32",  # documentation
    "fc00::/7",  # unique local
    "fe80::/10",  # link-local
    "fec0::/10",  # deprecated site-local
    "ff00::/8",  # multicast
)
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address inside an IPv4-mapped, NAT64, 6to4 or IPv4-compatible IPv6 address, if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64 or (ip in _IPV4_COMPATIBLE and int(ip) > 1):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public_address(ip: IPAddress) -> bool:
    """True only for addresses on the public internet; anything internal, special or ambiguous is False.

    IPv4-mapped and NAT64 (64:ff9b::/96) addresses are only paths to an IPv4
    host, so that host decides.  For 6to4 the embedded host must be public as
    well; IPv4-compatible (::/96, deprecated) and Teredo (2001::/32) addresses
    are refused outright by the tables.
    """
    if isinstance(ip, ipaddress.IPv4Address):
        return not (_flagged(ip) or any(ip in net for net in _BLOCKED_V4))
    if ip.ipv4_mapped is not None or ip in _NAT64:
        embedded = embedded_ipv4(ip)
        return embedded is not None and is_public_address(embedded)
    embedded = embedded_ipv4(ip)
    if embedded is not None and not is_public_address(embedded):
        return False
    return not (_flagged(ip) or any(ip in net for net in _BLOCKED_V6))


def _flagged(ip: IPAddress) -> bool:
    """The stdlib's own flags, as a second opinion beside the explicit tables."""
    return (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )
