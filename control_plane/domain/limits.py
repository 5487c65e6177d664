"""Per-company limits: the pure decisions and the errors clients see.

The API rate limit is a token bucket per company (per credential for
operators, who have none), kept in Redis so every API process shares it.
Active-import and storage caps are checked when an import is submitted.
"""

from __future__ import annotations

import math
import uuid

from control_plane.domain.errors import DomainError
from control_plane.domain.principals import Principal
from control_plane.domain.ratelimit import BucketSpec, bucket_key, credential_fingerprint

IN_FLIGHT_PREFIX = "icp:inflight"
MAX_PAGE_SIZE = 200
"""The largest page a listing serves: the OpenAPI bound of every ``limit``; ``ICP_API_MAX_PAGE_SIZE`` may lower it."""


class RateLimitExceeded(DomainError):
    """Too many requests from one company; the API answers 429 with Retry-After."""

    code = "rate_limited"

    def __init__(self, retry_after_s: float, reason: str = "too many requests for this company") -> None:
        self.retry_after_s = max(1, math.ceil(retry_after_s))
        super().__init__(f"{reason}; retry after {self.retry_after_s}s")


class TooManyInFlight(RateLimitExceeded):
    """A company already has as many requests in flight (or database connections) as it may hold at once."""

    def __init__(self, what: str, limit: int) -> None:
        super().__init__(1.0, f"this company already has {limit} {what} at once, its limit")


class QuotaExceeded(DomainError):
    """A company is at one of its caps; ``field`` names what the client asked for."""

    code = "quota_exceeded"

    def __init__(self, detail: str, *, field: str, limit: int, current: int, retry_after_s: int | None = None) -> None:
        super().__init__(detail, field=field)
        self.limit = limit
        self.current = current
        self.retry_after_s = retry_after_s


def api_limit_subject(principal: Principal) -> str:
    """Who a request counts against: ``company:<uuid>``; callers without a company, ``subject:<fingerprint>``."""
    if principal.company_id is not None:
        return f"company:{principal.company_id}"
    return f"subject:{credential_fingerprint(principal.subject)}"


def api_bucket_key(principal: Principal) -> str:
    """``icp:rl:api:company:<uuid>``: the API rate bucket of the request's limit subject."""
    return bucket_key("api", *api_limit_subject(principal).split(":"))


def api_in_flight_key(principal: Principal) -> str:
    """``icp:inflight:api:company:<uuid>``: the leases of the limit subject's requests in flight."""
    return f"{IN_FLIGHT_PREFIX}:api:{api_limit_subject(principal)}"


def api_bucket(requests_per_minute: int, burst: int) -> BucketSpec:
    return BucketSpec.per_minute(requests_per_minute, burst=float(burst))


def check_active_imports(company_id: uuid.UUID, active: int, limit: int) -> None:
    if active >= limit:
        raise QuotaExceeded(
            f"company {company_id} already has {active} imports waiting or running (limit {limit}); "
            "wait for one to finish or cancel one",
            field="integration_id",
            limit=limit,
            current=active,
            retry_after_s=30,
        )


def check_storage(company_id: uuid.UUID, stored_bytes: int, limit: int) -> None:
    if stored_bytes >= limit:
        raise QuotaExceeded(
            f"company {company_id} stores {stored_bytes} bytes of images, at its quota of {limit}; "
            "no new import may add more",
            field="integration_id",
            limit=limit,
            current=stored_bytes,
        )
