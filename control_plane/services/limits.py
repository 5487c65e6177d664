"""Enforcing per-company limits at the edge's request: the API rate limit and the import caps.

The rate limit needs Redis; if Redis is away the request is let through
(the database still protects itself), because refusing every caller for a
cache outage would turn a degraded dependency into a full outage.
"""

from __future__ import annotations

import uuid

import structlog
from redis.asyncio import Redis

from control_plane.domain.errors import DependencyUnavailable
from control_plane.domain.limits import (
    RateLimitExceeded,
    api_bucket,
    api_bucket_key,
    check_active_imports,
    check_storage,
)
from control_plane.domain.principals import Principal
from control_plane.integrations.redis_state.token_bucket import RedisTokenBucket
from control_plane.settings.limits import LimitSettings

log = structlog.get_logger("control_plane.limits")


class ApiRateLimiter:
    """One token per authenticated request, from the caller's company bucket."""

    def __init__(self, redis: Redis, limits: LimitSettings) -> None:
        self._bucket = RedisTokenBucket(redis)
        self._spec = api_bucket(limits.api_requests_per_minute, limits.api_burst)

    async def admit(self, principal: Principal) -> None:
        """Raises :class:`RateLimitExceeded` when the company's bucket is empty."""
        try:
            decision = await self._bucket.acquire(api_bucket_key(principal), self._spec)
        except DependencyUnavailable as exc:
            log.warning("limits.rate_unchecked", error=exc.detail)
            return
        if not decision.allowed:
            raise RateLimitExceeded(decision.retry_after_s)


def check_import_quota(company_id: uuid.UUID, *, active_imports: int, stored_bytes: int, limits: LimitSettings) -> None:
    """Refuse a new import when its company is at its active-import or storage cap.

    The import service calls it after an idempotent replay was ruled out, so a
    replay of an accepted job is answered whatever the company's load; the
    counts come from the submission's one read.
    """
    check_active_imports(company_id, active_imports, limits.max_active_imports)
    check_storage(company_id, stored_bytes, limits.max_storage_bytes)
