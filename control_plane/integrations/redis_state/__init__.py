"""Shared state in Redis that every worker process obeys: token buckets and circuit breakers.

Each decision is one Lua script run on the server's clock, so concurrent
processes on different machines neither overspend tokens nor race for the
single half-open probe.
"""

from __future__ import annotations

from control_plane.integrations.redis_state.circuit_breaker import (
    BREAKER_KEY_PREFIX,
    TRANSITIONS_KEY,
    RedisCircuitBreaker,
)
from control_plane.integrations.redis_state.token_bucket import RedisTokenBucket

__all__ = ["BREAKER_KEY_PREFIX", "TRANSITIONS_KEY", "RedisCircuitBreaker", "RedisTokenBucket"]
