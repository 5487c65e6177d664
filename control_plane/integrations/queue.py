"""The Redis work queue (arq), reached by job name only.

Redis is volatile: a failed enqueue is reported, never hidden, and the job
stays in PostgreSQL for the reconciler to enqueue later.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from arq.connections import ArqRedis
from redis.asyncio import ConnectionPool
from redis.exceptions import RedisError

from control_plane.domain.errors import DependencyUnavailable
from control_plane.domain.jobs import IMPORT_TASK_NAME
from control_plane.settings import RedisSettings

ARQ_JOB_KEY_PREFIX = "arq:job:"


def create_redis(settings: RedisSettings) -> ArqRedis:
    """A client that does not connect until first use and fails fast when Redis is away."""
    pool = ConnectionPool(
        host=settings.host,
        port=settings.port,
        db=settings.database,
        password=settings.password.get_secret_value() if settings.password else None,
        socket_connect_timeout=settings.connect_timeout_s,
        socket_timeout=settings.socket_timeout_s,
        retry_on_timeout=False,
    )
    return ArqRedis(connection_pool=pool, default_queue_name=settings.queue_name)


class ArqJobQueue:
    """Puts import jobs on the arq queue under the job's own id."""

    def __init__(self, redis: ArqRedis, queue_name: str) -> None:
        self._redis = redis
        self._queue_name = queue_name

    async def enqueue_import(self, job_id: uuid.UUID, *, defer_by: timedelta | None = None) -> bool:
        """Enqueue; True if queued now, False if arq already holds a job with this id."""
        try:
            job = await self._redis.enqueue_job(
                IMPORT_TASK_NAME,
                str(job_id),
                _job_id=str(job_id),
                _queue_name=self._queue_name,
                _defer_by=defer_by,
            )
        except (RedisError, OSError) as exc:
            raise DependencyUnavailable("redis", f"queue unavailable: {exc}") from exc
        return job is not None

    async def is_queued(self, job_id: uuid.UUID) -> bool:
        try:
            return bool(await self._redis.exists(ARQ_JOB_KEY_PREFIX + str(job_id)))
        except (RedisError, OSError) as exc:
            raise DependencyUnavailable("redis", f"queue unavailable: {exc}") from exc

    async def ping(self) -> None:
        try:
            await self._redis.ping()
        except (RedisError, OSError) as exc:
            raise DependencyUnavailable("redis", f"redis unreachable: {exc}") from exc
