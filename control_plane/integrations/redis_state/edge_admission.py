"""Per-company admission of API requests in Redis: one round trip before a database connection is taken.

A request takes a place among its company's requests in flight (a sorted set of
leases, so a process that dies leaves nothing behind for longer than a lease)
and a token of its company's rate bucket, atomically; it gives the place back
when it has been answered.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from redis.asyncio import Redis

from control_plane.domain.ratelimit import BucketSpec
from control_plane.integrations.redis_state._scripts import REDIS_ERRORS, lua_source, text, unavailable

_ADMIT = lua_source("bucket_take.lua") + lua_source("edge_admission.lua")
_TTL_MARGIN_S = 1.0


class EdgeOutcome(IntEnum):
    """What the admission script decided (its first reply)."""

    ADMITTED = 0
    RATE_SPENT = 1
    TOO_MANY_IN_FLIGHT = 2


@dataclass(frozen=True)
class EdgeDecision:
    outcome: EdgeOutcome
    retry_after_s: float
    in_flight: int
    """The company's requests in flight, this one included when admitted."""


class RedisEdgeAdmission:
    """Admits and releases requests of one limit subject (a company, or an operator's credential)."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._script = redis.register_script(_ADMIT)

    async def admit(
        self, *, bucket: str, in_flight: str, ticket: str, spec: BucketSpec, max_in_flight: int, lease_s: float
    ) -> EdgeDecision:
        """Raises DependencyUnavailable if Redis is away."""
        ttl_ms = math.ceil((spec.full_refill_s + _TTL_MARGIN_S) * 1000)
        args: list[Any] = [spec.capacity, spec.refill_per_second, ttl_ms, max_in_flight, ticket, lease_s]
        try:
            outcome, retry_after, count = await self._script(keys=[bucket, in_flight], args=args)
        except REDIS_ERRORS as exc:
            raise unavailable(exc) from exc
        return EdgeDecision(EdgeOutcome(int(outcome)), float(text(retry_after)), int(count))

    async def release(self, *, in_flight: str, ticket: str) -> None:
        """Give the place back; raises DependencyUnavailable if Redis is away (the lease then lapses)."""
        try:
            await self._redis.zrem(in_flight, ticket)
        except REDIS_ERRORS as exc:
            raise unavailable(exc) from exc
