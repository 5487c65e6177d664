"""Alarm and autoscaler state in Redis: what fires now, and capped streams of what changed.

Redis, not PostgreSQL, because this is operational memory: losing it only
means the next evaluation re-announces what is still firing.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable
from dataclasses import asdict
from typing import Any, cast

from redis.asyncio import Redis

from control_plane.domain.alarms import AlarmChange
from control_plane.domain.autoscaling import ScalingDecision
from control_plane.integrations.redis_state._scripts import text

FIRING_KEY = "icp:alarms:firing"
HISTORY_KEY = "icp:alarms:history"
AUTOSCALER_KEY = "icp:autoscaler:last"
DECISIONS_KEY = "icp:autoscaler:decisions"
AUTO_PAUSED_KEY = "icp:alarms:auto_paused"
HISTORY_KEPT = 1000
DECISIONS_KEPT = 500


def _fields(entry: dict[Any, Any]) -> dict[str, str]:
    return {text(k): text(v) for k, v in entry.items()}


class AlarmStore:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def firing(self) -> dict[str, bool]:
        names = await cast(Awaitable[list[Any]], self._redis.hkeys(FIRING_KEY))
        return {text(name): True for name in names}

    async def firing_entries(self) -> list[dict[str, str]]:
        """What fires now, as recorded when each alarm started firing (with its runbook), by name."""
        entries = await cast(Awaitable[dict[Any, Any]], self._redis.hgetall(FIRING_KEY))
        return [json.loads(text(entries[name])) for name in sorted(entries, key=text)]

    async def record(self, changes: list[AlarmChange], at: float) -> None:
        """Apply the changes to the firing set and append each to the history stream, atomically."""
        if not changes:
            return
        async with self._redis.pipeline(transaction=True) as pipe:
            for change in changes:
                check = change.check
                entry = {
                    "alarm": check.name,
                    "status": change.status,
                    "severity": check.severity.value,
                    "value": "" if check.value is None else f"{check.value:g}",
                    "threshold": f"{check.threshold:g}",
                    "summary": check.summary,
                    "runbook": check.runbook,
                    "at": f"{at:.3f}",
                }
                if change.status == "firing":
                    pipe.hset(FIRING_KEY, check.name, json.dumps(entry))
                else:
                    pipe.hdel(FIRING_KEY, check.name)
                pipe.xadd(HISTORY_KEY, entry, maxlen=HISTORY_KEPT, approximate=True)  # type: ignore[arg-type]
            await pipe.execute()

    async def auto_paused(self, name: str) -> bool:
        """Whether ``name`` already paused the queue during its current firing episode."""
        return bool(await cast(Awaitable[int], self._redis.hexists(AUTO_PAUSED_KEY, name)))

    async def mark_auto_paused(self, name: str, at: float) -> None:
        await cast(Awaitable[int], self._redis.hset(AUTO_PAUSED_KEY, name, f"{at:.3f}"))

    async def clear_auto_paused(self, name: str) -> None:
        """The episode is over: a later collapse may pause again."""
        await cast(Awaitable[int], self._redis.hdel(AUTO_PAUSED_KEY, name))

    async def history(self, limit: int = 100) -> list[dict[str, str]]:
        """The last ``limit`` changes, newest first."""
        return [_fields(fields) for _, fields in await self._redis.xrevrange(HISTORY_KEY, count=limit)]


class AutoscalerStore:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def last(self) -> ScalingDecision | None:
        raw = await self._redis.get(AUTOSCALER_KEY)
        return ScalingDecision(**json.loads(text(raw))) if raw is not None else None

    async def save(self, decision: ScalingDecision) -> None:
        payload = json.dumps(asdict(decision))
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(AUTOSCALER_KEY, payload)
            pipe.xadd(DECISIONS_KEY, {"decision": payload}, maxlen=DECISIONS_KEPT, approximate=True)
            await pipe.execute()

    async def recent(self, limit: int = 20) -> list[ScalingDecision]:
        """The last ``limit`` decisions, newest first."""
        entries = await self._redis.xrevrange(DECISIONS_KEY, count=limit)
        return [ScalingDecision(**json.loads(_fields(fields)["decision"])) for _, fields in entries]


async def current_desired_workers(redis: Redis) -> int | None:
    """The autoscaler's latest answer, for whatever runs the workers; None before the first evaluation."""
    decision = await AutoscalerStore(redis).last()
    return decision.desired if decision is not None else None
