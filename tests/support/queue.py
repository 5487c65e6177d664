"""Where a job waits in Redis: the fair dispatcher's lines (or delayed set), or arq's queue."""

from __future__ import annotations

import time
import uuid
from typing import cast

from arq.connections import ArqRedis
from redis.asyncio import Redis

from control_plane.integrations.dispatcher import ARQ_JOB_KEY_PREFIX, FairDispatcher
from control_plane.settings import Settings


def dispatcher(redis: Redis, settings: Settings) -> FairDispatcher:
    return FairDispatcher(cast(ArqRedis, redis), settings.redis.queue_name)


async def delayed_until_ms(redis: Redis, settings: Settings, job_id: uuid.UUID | str) -> float | None:
    """When the dispatcher lets the job into its line (epoch ms), if it holds it delayed."""
    score: float | None = await redis.zscore(dispatcher(redis, settings).delayed_key, str(job_id))
    return score


async def in_line_now(redis: Redis, settings: Settings, job_id: uuid.UUID | str) -> bool:
    """A worker would get the job without further waiting: in its dispatcher line, or due in arq with its payload."""
    job = uuid.UUID(str(job_id))
    held = (await dispatcher(redis, settings).holding([job]))[job]
    if held and await delayed_until_ms(redis, settings, job) is None:
        return True
    if not await redis.exists(ARQ_JOB_KEY_PREFIX + str(job)):
        return False
    score = await redis.zscore(settings.redis.queue_name, str(job))
    return score is not None and score <= time.time() * 1000


async def forget(redis: Redis, settings: Settings, job_id: uuid.UUID | str) -> None:
    """Make Redis lose the job entirely, as a crash or flush would (dispatcher and arq)."""
    fair = dispatcher(redis, settings)
    meta = await redis.hget(fair.jobs_key, str(job_id))
    if meta is not None:
        company = (meta.decode() if isinstance(meta, bytes) else meta).split(" ", 1)[1]
        await redis.zrem(fair.line_key(company), str(job_id))
    await redis.hdel(fair.jobs_key, str(job_id))
    await redis.zrem(fair.delayed_key, str(job_id))
    await redis.delete(ARQ_JOB_KEY_PREFIX + str(job_id))
    await redis.zrem(settings.redis.queue_name, str(job_id))
