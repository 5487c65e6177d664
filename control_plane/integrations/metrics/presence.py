"""Which worker processes are alive: each one stamps a Redis sorted set on a timer.

Job leases only show workers that are busy, and arq's health-check key is one
key per queue shared by every worker, so neither can count an idle fleet.
A worker counts as live while its stamp is younger than the freshness window.
The same loop notices an operator's request to drain the worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

import structlog
from redis.asyncio import Redis

from control_plane.domain.errors import DependencyUnavailable
from control_plane.integrations.redis_state._scripts import REDIS_ERRORS, text

PRESENCE_KEY = "icp:workers:presence"
DRAIN_KEY = "icp:workers:drain"
"""Hash: worker id -> who asked it to drain and why."""

log = structlog.get_logger("control_plane.metrics")


class WorkerPresence:
    def __init__(self, redis: Redis, *, fresh_for_s: float) -> None:
        self._redis = redis
        self._fresh_for_s = fresh_for_s

    async def stamp(self, worker_id: str, now: float | None = None) -> None:
        at = now if now is not None else time.time()
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.zadd(PRESENCE_KEY, {worker_id: at})
            pipe.zremrangebyscore(PRESENCE_KEY, "-inf", at - 10 * self._fresh_for_s)
            await pipe.execute()

    async def leave(self, worker_id: str) -> None:
        with contextlib.suppress(*REDIS_ERRORS):
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.zrem(PRESENCE_KEY, worker_id)
                pipe.hdel(DRAIN_KEY, worker_id)
                await pipe.execute()

    async def request_drain(self, worker_id: str, note: str) -> bool:
        """Ask a live worker to stop taking jobs and exit gracefully (it notices on its next stamp).

        False when no live worker has this id.
        """
        try:
            if worker_id not in await self.members():
                return False
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.hset(DRAIN_KEY, worker_id, note)
                await pipe.execute()
        except REDIS_ERRORS as exc:
            raise DependencyUnavailable("redis", f"worker registry unavailable: {exc}") from exc
        return True

    async def drain_requested(self, worker_id: str) -> bool:
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hexists(DRAIN_KEY, worker_id)
            (exists,) = await pipe.execute()
        return bool(exists)

    async def live(self, now: float | None = None) -> int:
        at = now if now is not None else time.time()
        return int(await self._redis.zcount(PRESENCE_KEY, at - self._fresh_for_s, "+inf"))

    async def members(self, now: float | None = None) -> dict[str, float]:
        """Live workers and when each last stamped (epoch seconds), oldest first."""
        at = now if now is not None else time.time()
        entries = await self._redis.zrangebyscore(PRESENCE_KEY, at - self._fresh_for_s, "+inf", withscores=True)
        return {text(member): float(score) for member, score in entries}

    async def run(self, worker_id: str, every_s: float, on_drain: Callable[[], None] | None = None) -> None:
        """Stamp until cancelled; a missed stamp is only logged (the next one repairs it).

        ``on_drain`` is called once when an operator asks this worker to drain.
        """
        draining = False
        try:
            while True:
                try:
                    await self.stamp(worker_id)
                    if on_drain is not None and not draining and await self.drain_requested(worker_id):
                        draining = True
                        on_drain()
                except REDIS_ERRORS as exc:
                    log.warning("presence.stamp_failed", worker_id=worker_id, error=str(exc))
                await asyncio.sleep(every_s)
        finally:
            await asyncio.shield(self.leave(worker_id))
