"""Provider call counters kept in Redis, so every worker's calls reach the API's one scrape target.

Workers increment; the API's collector and the alarm evaluation read. All-time
counts live in hashes (true counters); per-minute buckets expire on their own
and give the recent error ratio. A Redis hiccup loses a count, never a call.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable
from typing import cast

import structlog
from redis.asyncio import Redis

from control_plane.domain.ops import PROVIDER_WINDOW_S, TRANSPORT_ERROR, ProviderCalls
from control_plane.integrations.redis_state._scripts import REDIS_ERRORS, text

CALLS_KEY = "icp:metrics:provider:calls"
WAITS_KEY = "icp:metrics:provider:rate_limit_waits"
DEPRECATED_KEY = "icp:metrics:provider:deprecated_calls"
DEPRECATION_NOTICE_PREFIX = "icp:provider:deprecation-noticed:"
DEPRECATION_NOTICE_TTL_S = 24 * 3600
"""A deprecation is logged once a day per integration, whichever worker sees it."""
MINUTE_KEY_PREFIX = "icp:metrics:provider:minute:"
_MINUTE_TTL_S = 2 * PROVIDER_WINDOW_S + 120

log = structlog.get_logger("control_plane.metrics")


def is_error(status: str) -> bool:
    """Provider-side failures only: 5xx and calls without a response (what the breaker counts too)."""
    return status == TRANSPORT_ERROR or (status.isdigit() and int(status) >= 500)


def _minute(at: float) -> int:
    return int(at // 60)


class ProviderCallCounters:
    """A :class:`CallObserver` writing to Redis, and the reader of what every process wrote."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def call_finished(self, provider: str, status: str) -> None:
        bucket = MINUTE_KEY_PREFIX + str(_minute(time.time()))
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.hincrby(CALLS_KEY, f"{provider}|{status}", 1)
                pipe.hincrby(bucket, "requests", 1)
                if is_error(status):
                    pipe.hincrby(bucket, "errors", 1)
                pipe.expire(bucket, _MINUTE_TTL_S)
                await pipe.execute()
        except REDIS_ERRORS as exc:
            log.debug("metrics.count_lost", provider=provider, error=str(exc))

    async def rate_limit_waited(self, provider: str) -> None:
        try:
            await cast(Awaitable[int], self._redis.hincrby(WAITS_KEY, provider, 1))
        except REDIS_ERRORS as exc:
            log.debug("metrics.count_lost", provider=provider, error=str(exc))

    async def deprecated_call(self, provider: str, integration_id: str) -> bool:
        """Count a call the provider answered as deprecated; True the first time today for this integration."""
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.hincrby(DEPRECATED_KEY, provider, 1)
                pipe.set(DEPRECATION_NOTICE_PREFIX + integration_id, 1, nx=True, ex=DEPRECATION_NOTICE_TTL_S)
                _, first = await pipe.execute()
        except REDIS_ERRORS as exc:
            log.debug("metrics.count_lost", provider=provider, error=str(exc))
            return False
        return bool(first)

    async def read(self, now: float | None = None) -> ProviderCalls:
        """All-time counts and the last PROVIDER_WINDOW_S seconds' requests and errors (whole minutes)."""
        current = _minute(now if now is not None else time.time())
        minutes = range(current - PROVIDER_WINDOW_S // 60 + 1, current + 1)
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(CALLS_KEY)
            pipe.hgetall(WAITS_KEY)
            pipe.hgetall(DEPRECATED_KEY)
            for minute in minutes:
                pipe.hmget(MINUTE_KEY_PREFIX + str(minute), ["requests", "errors"])
            calls, waits, deprecated, *recent = await pipe.execute()
        by_status: dict[tuple[str, str], int] = {}
        for field, count in calls.items():
            provider, _, status = text(field).partition("|")
            by_status[(provider, status)] = int(count)
        return ProviderCalls(
            by_status=by_status,
            rate_limit_waits={text(k): int(v) for k, v in waits.items()},
            deprecated_calls={text(k): int(v) for k, v in deprecated.items()},
            recent_requests=sum(int(r or 0) for r, _ in recent),
            recent_errors=sum(int(e or 0) for _, e in recent),
        )
