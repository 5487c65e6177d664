"""Image rules without I/O: which addresses are public, the reason codes, the content-addressed keys."""

from __future__ import annotations

import hashlib
import ipaddress

import pytest

from control_plane.domain.images import (
    ImageFormat,
    ImagePolicy,
    ImageRejected,
    RejectReason,
    embedded_ipv4,
    is_public_address,
    original_key,
    thumbnail_key,
)

BLOCKED = [
    "127.0.0.1",
    "127.255.255.254",
    "10.0.0.1",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata
    "100.64.0.1",  # carrier-grade NAT
    "0.0.0.0",  # noqa: S104 - an address to classify, not to bind
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    "192.0.2.1",
    "198.18.0.1",
    "::",
    "::1",
    "fe80::1",
    "fc00::1",
    "fd12:3456::1",
    "fec0::1",
    "ff02::1",
    "2001:db8::1",
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "::a00:1",  # IPv4-compatible (deprecated)
    "::8.8.8.8",
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "64:ff9b:1::808:808",  # local-use NAT64
    "2002:0a00:0001::",  # 6to4 of 10.0.0.1
    "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
]
PUBLIC = [
    "8.8.8.8",
    "1.1.1.1",
    "151.101.1.69",
    "2606:4700:4700::1111",
    "2a00:1450:4001:80b::200e",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",
    "2002:808:808::1",
]


@pytest.mark.parametrize("address", BLOCKED)
def test_internal_and_special_addresses_are_not_public(address: str) -> None:
    assert not is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_public(address: str) -> None:
    assert is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    ("address", "embedded"),
    [
        ("::ffff:127.0.0.1", "127.0.0.1"),
        ("64:ff9b::a00:1", "10.0.0.1"),
        ("2002:0a00:0001::", "10.0.0.1"),
        ("::a00:1", "10.0.0.1"),
        ("2606:4700:4700::1111", None),
        ("::1", None),
    ],
)
def test_the_ipv4_address_inside_an_ipv6_address_is_found(address: str, embedded: str | None) -> None:
    found = embedded_ipv4(ipaddress.IPv6Address(address))
    assert (str(found) if found else None) == embedded


def test_keys_are_content_addressed_and_carry_no_company() -> None:
    digest = hashlib.sha256(b"some image bytes").hexdigest()
    assert original_key(digest, ImageFormat.JPEG) == f"originals/{digest[:2]}/{digest}.jpg"
    assert original_key(digest, ImageFormat.WEBP).endswith(".webp")
    assert thumbnail_key(digest, (320, 320)) == f"thumbnails/{digest[:2]}/{digest}_320x320.jpg"


@pytest.mark.parametrize("digest", ["abc", "G" * 64, "A" * 64, "../" + "a" * 61])
def test_keys_refuse_anything_but_a_hex_digest(digest: str) -> None:
    with pytest.raises(ValueError, match="SHA-256"):
        original_key(digest, ImageFormat.PNG)


def test_formats_know_their_content_type_and_extension() -> None:
    assert {(f.value, f.content_type, f.extension) for f in ImageFormat} == {
        ("JPEG", "image/jpeg", "jpg"),
        ("PNG", "image/png", "png"),
        ("WEBP", "image/webp", "webp"),
        ("GIF", "image/gif", "gif"),
    }


def test_reason_codes_are_stable_and_say_what_is_worth_retrying() -> None:
    assert RejectReason.ADDRESS.value == "address" and RejectReason.TOO_LARGE.value == "too_large"
    assert ImageRejected(RejectReason.TIMEOUT, "slow").retryable
    assert ImageRejected(RejectReason.HTTP_STATUS, "busy", status=503).retryable
    assert ImageRejected(RejectReason.HTTP_STATUS, "throttled", status=429).retryable
    assert not ImageRejected(RejectReason.HTTP_STATUS, "gone", status=404).retryable
    assert not ImageRejected(RejectReason.BOMB, "huge").retryable
    assert str(ImageRejected(RejectReason.SCHEME, "ftp")) == "scheme: ftp"


def test_policy_defaults_and_validation() -> None:
    policy = ImagePolicy()
    assert policy.max_bytes == 20 * 1024 * 1024 and policy.max_pixels == 40_000_000
    assert policy.thumbnail_box == (320, 320) and policy.max_redirects == 3
    with pytest.raises(ValueError, match="thumbnail_box"):
        ImagePolicy(thumbnail_box=(0, 320))
    with pytest.raises(ValueError, match="format"):
        ImagePolicy(formats=frozenset())


@pytest.mark.parametrize(
    ("reason", "status", "now"),
    [
        (RejectReason.CONNECTION, None, True),
        (RejectReason.HTTP_STATUS, 503, True),
        (RejectReason.HTTP_STATUS, 429, True),
        (RejectReason.HTTP_STATUS, 404, False),
        (RejectReason.TIMEOUT, None, False),
        (RejectReason.DNS, None, False),
        (RejectReason.FORMAT, None, False),
    ],
)
def test_only_dropped_connections_and_busy_hosts_are_retried_within_the_job(
    reason: RejectReason, status: int | None, now: bool
) -> None:
    assert ImageRejected(reason, "x", status=status).worth_retrying_now is now


def test_download_retry_pauses_double_and_attempts_are_checked() -> None:
    policy = ImagePolicy(retry_backoff_s=0.5)
    assert [policy.retry_delay_s(n) for n in (1, 2, 3)] == [0.5, 1.0, 2.0]
    with pytest.raises(ValueError, match="download_attempts"):
        ImagePolicy(download_attempts=0)
