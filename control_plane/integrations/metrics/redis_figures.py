"""Figures read from Redis at scrape time: the fair dispatcher and arq queue, and the breakers' states."""

from __future__ import annotations

from collections.abc import Mapping

from redis.asyncio import Redis

from control_plane.integrations.dispatch_scripts import delayed_key, jobs_key
from control_plane.integrations.redis_state._scripts import text
from control_plane.integrations.redis_state.circuit_breaker import BREAKER_KEY_PREFIX, RedisCircuitBreaker


async def queue_counts(redis: Redis, queue_name: str) -> tuple[int, int]:
    """(waiting, delayed): arq entries due by now plus jobs in the fair dispatcher's lines, and those due later.

    arq entries are scored by due time (ms); the dispatcher's delayed jobs (backpressure deferral,
    pause recheck) count as delayed.  The server's clock decides, so hosts' clock skew cannot move
    jobs between the two.
    """
    seconds, micros = await redis.time()
    now_ms = seconds * 1000 + micros // 1000
    async with redis.pipeline(transaction=False) as pipe:
        pipe.zcount(queue_name, "-inf", now_ms)
        pipe.zcount(queue_name, f"({now_ms}", "+inf")
        pipe.hlen(jobs_key(queue_name))
        pipe.zcard(delayed_key(queue_name))
        waiting, delayed, held, held_delayed = await pipe.execute()
    return int(waiting) + int(held) - int(held_delayed), int(delayed) + int(held_delayed)


async def breaker_states(redis: Redis, breaker: RedisCircuitBreaker, *, limit: int = 500) -> Mapping[str, str]:
    """Every scope with breaker state in Redis (closed scopes expire after a quiet day), as of now."""
    scopes: list[str] = []
    async for key in redis.scan_iter(match=BREAKER_KEY_PREFIX + "*", count=200):
        scopes.append(text(key).removeprefix(BREAKER_KEY_PREFIX))
        if len(scopes) >= limit:
            break
    return {scope: (await breaker.state(scope)).state.value for scope in sorted(scopes)}
