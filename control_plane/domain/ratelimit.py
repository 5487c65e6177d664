"""Token-bucket rules shared by every worker: what a bucket is, how it is keyed, what a decision says.

The buckets themselves live in Redis (one atomic script per acquire) so all
processes spend the same tokens; this module holds only the pure parts, so
limits and overrides are checked without any I/O.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from control_plane.domain.providers import Provider

KEY_PREFIX = "icp:rl"
OVERRIDE_SETTING = "requests_per_minute"
"""Optional key of an integration's account settings that replaces REQ-RATE-1/2's limit for it."""
MAX_REQUESTS_PER_MINUTE = 100_000

# Share of a minute's allowance a full bucket may spend at once. Shopify's own REST bucket is
# 40 requests leaking at 2/s (120/min), i.e. a third; elsewhere we stay conservative.
_BURST_SHARE: dict[Provider, float] = {Provider.SHOPIFY: 1 / 3}
_DEFAULT_BURST_SHARE = 0.1


@dataclass(frozen=True)
class BucketSpec:
    """A bucket holding at most ``capacity`` tokens, refilled continuously at ``refill_per_second``."""

    capacity: float
    refill_per_second: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.capacity) and self.capacity >= 1):
            raise ValueError(f"capacity must be a finite number >= 1, not {self.capacity!r}")
        if not (math.isfinite(self.refill_per_second) and self.refill_per_second > 0):
            raise ValueError(f"refill_per_second must be a finite positive number, not {self.refill_per_second!r}")

    @classmethod
    def per_minute(cls, requests: int, burst: float | None = None) -> BucketSpec:
        """``requests`` per minute on average; ``burst`` (default: a tenth of a minute, at least 1) at once."""
        if requests <= 0:
            raise ValueError(f"requests per minute must be positive, not {requests!r}")
        capacity = burst if burst is not None else max(1.0, requests * _DEFAULT_BURST_SHARE)
        return cls(capacity=float(capacity), refill_per_second=requests / 60.0)

    @classmethod
    def per_second(cls, rate: float, burst: float | None = None) -> BucketSpec:
        return cls(capacity=float(burst if burst is not None else max(1.0, rate)), refill_per_second=float(rate))

    @property
    def full_refill_s(self) -> float:
        """Seconds an empty bucket takes to fill; state older than this carries no information."""
        return self.capacity / self.refill_per_second


@dataclass(frozen=True)
class RateDecision:
    """One acquire's outcome. ``retry_after_s`` is 0 when allowed, else the time until the cost is covered."""

    allowed: bool
    retry_after_s: float
    tokens_left: float
    at_s: float | None = None
    """Server time (Unix seconds) of the decision, when the store reports one."""


class RateLimited(Exception):
    """Waiting for tokens would take longer than the caller accepts; try again after ``retry_after_s``."""

    def __init__(self, retry_after_s: float, key: str = "") -> None:
        super().__init__(f"rate limited{f' on {key}' if key else ''}; retry after {retry_after_s:.3f}s")
        self.retry_after_s = retry_after_s
        self.key = key


def bucket_key(scope: str, *parts: str) -> str:
    """The Redis key of one bucket, e.g. ``icp:rl:shopify:company:<uuid>`` or ``icp:rl:jobs:start``."""
    segments = (scope, *parts)
    for segment in segments:
        if not segment or ":" in segment or any(ch.isspace() for ch in segment):
            raise ValueError(f"bucket key segments must be non-empty, without ':' or spaces: {segment!r}")
    return ":".join((KEY_PREFIX, *segments))


def credential_fingerprint(secret: str) -> str:
    """A short, stable digest of a credential, so keys never hold the secret itself."""
    return hashlib.sha256(secret.encode()).hexdigest()[:16]


JOB_STARTS_KEY = bucket_key("jobs", "start")
"""The queue-wide bucket for import job starts."""


def provider_bucket_key(provider: Provider, *, company_id: str, credential: str) -> str:
    """Shopify limits each company (shop); Roastify limits each API key, whoever holds it."""
    if provider is Provider.ROASTIFY:
        return bucket_key(provider.value, "key", credential_fingerprint(credential))
    return bucket_key(provider.value, "company", company_id)


def query_cost_key(shop_base_url: str) -> str:
    """Shopify's GraphQL cost bucket belongs to the app and the shop, whichever company's job calls it."""
    return bucket_key(Provider.SHOPIFY.value, "cost", credential_fingerprint(shop_base_url.rstrip("/").lower()))


def requests_per_minute_override(account_settings: Mapping[str, Any]) -> int | None:
    """The integration's own limit, if it sets one; anything but a sane positive integer is refused."""
    value = account_settings.get(OVERRIDE_SETTING)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_REQUESTS_PER_MINUTE:
        raise ValueError(f"{OVERRIDE_SETTING} must be an integer from 1 to {MAX_REQUESTS_PER_MINUTE}, not {value!r}")
    return value


def spec_for(provider: Provider, default_per_minute: int, account_settings: Mapping[str, Any]) -> BucketSpec:
    """The bucket for one integration: REQ-RATE-1/2's limit (from settings) unless its account settings override it."""
    override = requests_per_minute_override(account_settings)
    per_minute = override if override is not None else default_per_minute
    share = _BURST_SHARE.get(provider, _DEFAULT_BURST_SHARE)
    return BucketSpec.per_minute(per_minute, burst=max(1.0, per_minute * share))
