"""Token buckets in Redis: one atomic script per acquire, so all workers share each limit exactly."""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import Redis

from control_plane.domain.ratelimit import BucketSpec, RateDecision, RateLimited
from control_plane.integrations.redis_state._scripts import REDIS_ERRORS, lua_source, text, unavailable

_ACQUIRE = lua_source("bucket_take.lua") + lua_source("token_bucket.lua")
_TTL_MARGIN_S = 1.0
_JITTER = 0.05
"""Waiters woken by the same retry-after would collide on the same token; a little jitter spreads them."""


class RedisTokenBucket:
    """Spends tokens from buckets keyed by :func:`control_plane.domain.ratelimit.bucket_key`."""

    def __init__(self, redis: Redis) -> None:
        self._script = redis.register_script(_ACQUIRE)

    async def acquire(self, key: str, spec: BucketSpec, cost: float = 1.0) -> RateDecision:
        """Take ``cost`` tokens if they are there; never sleeps. Raises DependencyUnavailable if Redis is away."""
        if not (math.isfinite(cost) and 0 < cost <= spec.capacity):
            raise ValueError(f"cost must be positive and at most the capacity {spec.capacity:g}, not {cost!r}")
        ttl_ms = math.ceil((spec.full_refill_s + _TTL_MARGIN_S) * 1000)
        args: list[Any] = [spec.capacity, spec.refill_per_second, float(cost), ttl_ms]
        try:
            allowed, retry_after, tokens, now = await self._script(keys=[key], args=args)
        except REDIS_ERRORS as exc:
            raise unavailable(exc) from exc
        return RateDecision(
            allowed=bool(allowed),
            retry_after_s=float(text(retry_after)),
            tokens_left=float(text(tokens)),
            at_s=float(text(now)),
        )

    async def wait(self, key: str, spec: BucketSpec, *, max_wait_s: float, cost: float = 1.0) -> float:
        """Acquire, sleeping each reported retry-after in turn; returns the seconds waited.

        Raises :class:`RateLimited` as soon as the next wait would pass ``max_wait_s``, so a job can be
        deferred instead of holding a worker slot.
        """
        return await wait_until_allowed(lambda: self.acquire(key, spec, cost), key=key, max_wait_s=max_wait_s)


async def wait_until_allowed(
    acquire: Callable[[], Awaitable[RateDecision]],
    *,
    key: str,
    max_wait_s: float,
    max_pause_s: float = math.inf,
) -> float:
    """Call ``acquire`` until it allows, sleeping each retry-after (with jitter); the seconds waited.

    Raises :class:`RateLimited` as soon as the next wait would pass ``max_wait_s``. ``max_pause_s`` caps one
    sleep, for buckets that can also refill early (a refund), so a waiter notices.
    """
    started = time.monotonic()
    while True:
        decision = await acquire()
        waited = time.monotonic() - started
        if decision.allowed:
            return waited
        pause = decision.retry_after_s * (1 + random.uniform(0, _JITTER))
        if waited + pause > max_wait_s:
            raise RateLimited(decision.retry_after_s, key)
        await asyncio.sleep(min(pause, max_pause_s))
