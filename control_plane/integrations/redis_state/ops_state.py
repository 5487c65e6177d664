"""Operations state in Redis, shared by the API and every worker: pauses, queue depth, admission counts.

Queue depth counts the fair dispatcher's waiting jobs as well as arq's queue.

Pauses live in one hash (field = scope key, value = JSON) with no expiry:
they are deliberate and end only by a resume.  Admission decisions are
counted in one hash per UTC day (field ``<queue tier>:<outcome>``), kept a
week, so /metrics and the ops API read the same numbers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from control_plane.domain.errors import DependencyUnavailable
from control_plane.domain.pausing import Pause, PauseTarget
from control_plane.integrations.dispatch_scripts import jobs_key
from control_plane.integrations.redis_state._scripts import REDIS_ERRORS, text

PAUSES_KEY = "icp:ops:pauses"
ADMISSIONS_KEY_PREFIX = "icp:ops:admissions:"
ADMISSIONS_TTL_S = 8 * 86_400


def _unavailable(exc: BaseException) -> DependencyUnavailable:
    return DependencyUnavailable("redis", f"operations state unavailable: {exc}")


def admissions_key(day: date) -> str:
    return ADMISSIONS_KEY_PREFIX + day.isoformat()


class RedisOpsState:
    """Reads and writes of the shared operations state; every Redis failure is a DependencyUnavailable."""

    def __init__(self, redis: Redis, queue_name: str) -> None:
        self._redis = redis
        self._queue_name = queue_name

    async def _run(self, *commands: Callable[[Pipeline], Any], transaction: bool = False) -> list[Any]:
        """Run commands in one round trip (typed replies come back as a plain list)."""
        try:
            async with self._redis.pipeline(transaction=transaction) as pipe:
                for command in commands:
                    command(pipe)
                return list(await pipe.execute())
        except REDIS_ERRORS as exc:
            raise _unavailable(exc) from exc

    async def queue_depth(self) -> int:
        """Jobs waiting or delayed: in the fair dispatcher (its membership hash) plus arq's sorted set.

        arq keeps a running job in its sorted set until it ends, so the few running ones count too.
        """
        (arq, dispatcher) = await self._run(
            lambda pipe: pipe.zcard(self._queue_name), lambda pipe: pipe.hlen(jobs_key(self._queue_name))
        )
        return int(arq) + int(dispatcher)

    async def depth_and_pauses(self) -> tuple[int, list[Pause]]:
        """Queue depth and the pauses in one round trip: what admission reads for every submission."""
        (arq, dispatcher, raw) = await self._run(
            lambda pipe: pipe.zcard(self._queue_name),
            lambda pipe: pipe.hlen(jobs_key(self._queue_name)),
            lambda pipe: pipe.hgetall(PAUSES_KEY),
        )
        return int(arq) + int(dispatcher), _parse_pauses(raw)

    async def pause(self, target: PauseTarget, *, reason: str, actor: str) -> Pause:
        pause = Pause(target, reason, actor, datetime.now(UTC).isoformat())
        value = json.dumps({"reason": reason, "actor": actor, "at": pause.at})
        await self._run(lambda pipe: pipe.hset(PAUSES_KEY, target.key, value))
        return pause

    async def resume(self, target: PauseTarget) -> bool:
        """True if the scope was paused."""
        (removed,) = await self._run(lambda pipe: pipe.hdel(PAUSES_KEY, target.key))
        return bool(removed)

    async def pauses(self) -> list[Pause]:
        (raw,) = await self._run(lambda pipe: pipe.hgetall(PAUSES_KEY))
        return _parse_pauses(raw)

    async def count_admission(self, field: str, *, day: date | None = None) -> None:
        key = admissions_key(day or datetime.now(UTC).date())
        await self._run(
            lambda pipe: pipe.hincrby(key, field, 1), lambda pipe: pipe.expire(key, ADMISSIONS_TTL_S), transaction=True
        )

    async def admission_counts(self, day: date | None = None) -> dict[str, int]:
        """``{"<queue tier>:<outcome>": count}`` for one UTC day (today by default)."""
        key = admissions_key(day or datetime.now(UTC).date())
        (raw,) = await self._run(lambda pipe: pipe.hgetall(key))
        return {text(field): int(value) for field, value in raw.items()}


def _parse_pauses(raw: dict[Any, Any]) -> list[Pause]:
    found = []
    for key, value in raw.items():
        fields = json.loads(text(value))
        found.append(Pause(PauseTarget.from_key(text(key)), fields["reason"], fields["actor"], fields["at"]))
    return sorted(found, key=lambda pause: pause.at)
