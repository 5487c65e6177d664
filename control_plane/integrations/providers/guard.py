"""Admission for provider calls: the shared token bucket first, then the shared breaker.

Tokens come first so a half-open breaker's single probe is never reserved by a
caller that then gives up waiting for a token.
"""

from __future__ import annotations

from collections.abc import Sequence

from control_plane.domain.breaker import BreakerOpen
from control_plane.domain.ratelimit import BucketSpec, RateLimited
from control_plane.integrations.providers.base import ProviderDeferred
from control_plane.integrations.providers.transport import CallObserver
from control_plane.integrations.redis_state.circuit_breaker import RedisCircuitBreaker
from control_plane.integrations.redis_state.token_bucket import RedisTokenBucket


class RedisCallGuard:
    """Every worker shares the same breaker state and token buckets through Redis."""

    def __init__(
        self,
        *,
        breaker: RedisCircuitBreaker,
        bucket: RedisTokenBucket,
        scopes: Sequence[str],
        bucket_key: str,
        spec: BucketSpec,
        max_wait_s: float,
        observer: CallObserver | None = None,
    ) -> None:
        self._breaker = breaker
        self._bucket = bucket
        self._scopes = list(scopes)
        self._key = bucket_key
        self._spec = spec
        self._max_wait_s = max_wait_s
        self._observer = observer

    async def before_call(self) -> None:
        try:
            waited = await self._bucket.wait(self._key, self._spec, max_wait_s=self._max_wait_s)
            if waited > 0 and self._observer is not None:
                await self._observer.rate_limit_waited(self._scopes[0])
            await self._breaker.before_call(self._scopes)
        except BreakerOpen as exc:
            raise ProviderDeferred(f"circuit open for {exc.scope}", retry_after_s=exc.retry_after_s) from exc
        except RateLimited as exc:
            if self._observer is not None:
                await self._observer.rate_limit_waited(self._scopes[0])
            raise ProviderDeferred("rate limit reached", retry_after_s=exc.retry_after_s) from exc

    async def succeeded(self) -> None:
        await self._breaker.record_success(self._scopes)

    async def failed(self, reason: str) -> None:
        await self._breaker.record_failure(self._scopes, reason)
