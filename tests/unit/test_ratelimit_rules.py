"""Bucket specs, keys and per-integration overrides: the pure side of rate limiting."""

from __future__ import annotations

import uuid

import pytest

from control_plane.domain.providers import Provider
from control_plane.domain.ratelimit import (
    JOB_STARTS_KEY,
    BucketSpec,
    RateLimited,
    bucket_key,
    credential_fingerprint,
    provider_bucket_key,
    spec_for,
)


def test_per_minute_spreads_the_allowance_over_the_minute() -> None:
    spec = BucketSpec.per_minute(120)
    assert spec.refill_per_second == pytest.approx(2.0)
    assert spec.capacity == pytest.approx(12.0)
    assert BucketSpec.per_minute(120, burst=40).capacity == 40
    assert BucketSpec.per_minute(3).capacity == 1.0  # never below one request
    assert BucketSpec.per_minute(60, burst=10).full_refill_s == pytest.approx(10.0)


@pytest.mark.parametrize(("capacity", "rate"), [(0.5, 1.0), (10.0, 0.0), (10.0, -1.0), (float("inf"), 1.0)])
def test_nonsense_specs_are_refused(capacity: float, rate: float) -> None:
    with pytest.raises(ValueError, match=r"capacity|refill_per_second"):
        BucketSpec(capacity, rate)


def test_per_minute_refuses_a_non_positive_allowance() -> None:
    with pytest.raises(ValueError, match="positive"):
        BucketSpec.per_minute(0)


def test_keys_name_the_scope_and_never_the_secret() -> None:
    company = uuid.uuid4()
    assert bucket_key("shopify", "company", str(company)) == f"icp:rl:shopify:company:{company}"
    assert JOB_STARTS_KEY == "icp:rl:jobs:start"
    secret = "rk_live_very_secret"
    roastify = provider_bucket_key(Provider.ROASTIFY, company_id=str(company), credential=secret)
    assert roastify == f"icp:rl:roastify:key:{credential_fingerprint(secret)}"
    assert secret not in roastify and len(credential_fingerprint(secret)) == 16
    shopify = provider_bucket_key(Provider.SHOPIFY, company_id=str(company), credential=secret)
    assert shopify == f"icp:rl:shopify:company:{company}"


def test_roastify_keys_follow_the_api_key_not_the_company() -> None:
    one = provider_bucket_key(Provider.ROASTIFY, company_id="a", credential="same-key")
    two = provider_bucket_key(Provider.ROASTIFY, company_id="b", credential="same-key")
    assert one == two != provider_bucket_key(Provider.ROASTIFY, company_id="a", credential="other-key")


@pytest.mark.parametrize("segment", ["", "a:b", "with space"])
def test_ambiguous_key_segments_are_refused(segment: str) -> None:
    with pytest.raises(ValueError, match="segments"):
        bucket_key("shopify", "company", segment)


def test_spec_uses_the_seed_default_without_an_override() -> None:
    shopify = spec_for(Provider.SHOPIFY, 120, {})
    assert shopify.refill_per_second == pytest.approx(2.0)
    assert shopify.capacity == pytest.approx(40.0)  # Shopify's own bucket: 40 leaking at 2/s
    roastify = spec_for(Provider.ROASTIFY, 100, {"unrelated": True, "requests_per_minute": None})
    assert roastify.refill_per_second == pytest.approx(100 / 60)
    assert roastify.capacity == pytest.approx(10.0)


def test_an_integration_may_set_its_own_limit() -> None:
    spec = spec_for(Provider.ROASTIFY, 100, {"requests_per_minute": 600})
    assert spec.refill_per_second == pytest.approx(10.0)
    assert spec_for(Provider.SHOPIFY, 120, {"requests_per_minute": 100_000}).refill_per_second > 1000


@pytest.mark.parametrize("bad", [0, -5, 100_001, 1.5, 60.0, "100", True, [100]])
def test_a_bad_override_is_refused_naming_the_setting(bad: object) -> None:
    with pytest.raises(ValueError, match="requests_per_minute"):
        spec_for(Provider.SHOPIFY, 120, {"requests_per_minute": bad})


def test_rate_limited_carries_the_wait() -> None:
    error = RateLimited(2.5, "icp:rl:jobs:start")
    assert error.retry_after_s == 2.5 and "icp:rl:jobs:start" in str(error)
