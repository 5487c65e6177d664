"""Figures read from Redis at scrape time: the arq queue's sorted set and the breakers' states."""

from __future__ import annotations

from collections.abc import Mapping

from redis.asyncio import Redis

from control_plane.integrations.redis_state._scripts import text
from control_plane.integrations.redis_state.circuit_breaker import BREAKER_KEY_PREFIX, RedisCircuitBreaker


async def queue_counts(redis: Redis, queue_name: str) -> tuple[int, int]:
    """(waiting, delayed): arq queue entries due by now, and due later (score = due time in ms).

    The server's clock decides, so hosts' clock skew cannot move jobs between the two.
    """
    seconds, micros = await redis.time()
    now_ms = seconds * 1000 + micros // 1000
    async with redis.pipeline(transaction=False) as pipe:
        pipe.zcount(queue_name, "-inf", now_ms)
        pipe.zcount(queue_name, f"({now_ms}", "+inf")
        waiting, delayed = await pipe.execute()
    return int(waiting), int(delayed)


async def breaker_states(redis: Redis, breaker: RedisCircuitBreaker, *, limit: int = 500) -> Mapping[str, str]:
    """Every scope with breaker state in Redis (closed scopes expire after a quiet day), as of now."""
    scopes: list[str] = []
    async for key in redis.scan_iter(match=BREAKER_KEY_PREFIX + "*", count=200):
        scopes.append(text(key).removeprefix(BREAKER_KEY_PREFIX))
        if len(scopes) >= limit:
            break
    return {scope: (await breaker.state(scope)).state.value for scope in sorted(scopes)}
