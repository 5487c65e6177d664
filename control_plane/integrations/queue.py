"""The Redis work queue (arq), reached by job name only.

Redis is volatile: a failed enqueue is reported, never hidden, and the job
stays in PostgreSQL for the reconciler to enqueue later.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta

from arq.connections import ArqRedis
from arq.constants import expires_extra_ms, in_progress_key_prefix, result_key_prefix, retry_key_prefix
from arq.utils import timestamp_ms
from redis.asyncio import ConnectionPool
from redis.exceptions import RedisError

from control_plane.domain.errors import DependencyUnavailable
from control_plane.domain.jobs import IMPORT_TASK_NAME
from control_plane.domain.queueing import QueueState, RequeueOutcome
from control_plane.settings import RedisSettings

ARQ_JOB_KEY_PREFIX = "arq:job:"
_REQUEUE_ATTEMPTS = 3

# KEYS: job, in-progress, queue, result, retry.  ARGV: job id, score (ms), job key TTL (ms).
# A dead worker's in-progress marker always goes (arq starts nothing while it exists).  A job arq
# still holds goes back in line with its payload's TTL renewed; otherwise the leftovers that would
# make arq refuse a fresh enqueue are cleared and the caller enqueues anew.
_REQUEUE_LUA = """
redis.call('DEL', KEYS[2])
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
  return 1
end
redis.call('DEL', KEYS[4], KEYS[5])
return 0
"""


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


def _unavailable(exc: BaseException) -> DependencyUnavailable:
    return DependencyUnavailable("redis", f"queue unavailable: {exc}")


class ArqJobQueue:
    """Puts import jobs on the arq queue under the job's own id."""

    def __init__(self, redis: ArqRedis, queue_name: str) -> None:
        self._redis = redis
        self._queue_name = queue_name
        self._requeue_script = redis.register_script(_REQUEUE_LUA)

    async def enqueue_import(self, job_id: uuid.UUID, *, defer_by: timedelta | None = None) -> bool:
        """Enqueue; True if queued now, False if arq already holds a job (or a result) with this id."""
        try:
            job = await self._redis.enqueue_job(
                IMPORT_TASK_NAME,
                str(job_id),
                _job_id=str(job_id),
                _queue_name=self._queue_name,
                _defer_by=defer_by,
            )
        except (RedisError, OSError) as exc:
            raise _unavailable(exc) from exc
        return job is not None

    async def requeue_import(self, job_id: uuid.UUID, *, defer_by: timedelta | None = None) -> RequeueOutcome:
        """Put the job back in line whatever state arq left it in.

        This relies on arq's key layout (pinned: arq 0.28): ``arq:job:<id>`` (payload),
        ``arq:in-progress:<id>`` (a worker runs it), the queue's sorted set (score = when due, ms),
        ``arq:retry:<id>`` and ``arq:result:<id>``.  arq itself re-runs a dead worker's job only when
        the in-progress key expires, about ``job_timeout`` later, and refuses to enqueue an id that
        still has a result; PostgreSQL leases notice the death within seconds, so the job is put
        back here.  One Lua script drops the in-progress marker and, if arq still holds the job, re-scores
        it atomically; otherwise it clears stale result and retry keys and the job is enqueued afresh
        (``enqueue_job``, same id).
        """
        defer_ms = int(defer_by.total_seconds() * 1000) if defer_by else 0
        job = str(job_id)
        keys = [
            ARQ_JOB_KEY_PREFIX + job,
            in_progress_key_prefix + job,
            self._queue_name,
            result_key_prefix + job,
            retry_key_prefix + job,
        ]
        for _ in range(_REQUEUE_ATTEMPTS):  # another writer may create or finish the job in between
            try:
                held = await self._requeue_script(
                    keys=keys, args=[job, timestamp_ms() + defer_ms, defer_ms + expires_extra_ms]
                )
            except (RedisError, OSError) as exc:
                raise _unavailable(exc) from exc
            if held:
                return "requeued"
            if await self.enqueue_import(job_id, defer_by=defer_by):
                return "enqueued"
        raise DependencyUnavailable("redis", f"job {job} kept changing in the queue while being requeued")

    async def queue_state(self, job_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, QueueState]:
        """What arq holds for each job, read in one round trip."""
        if not job_ids:
            return {}
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for job_id in job_ids:
                    pipe.exists(ARQ_JOB_KEY_PREFIX + str(job_id))
                    pipe.zscore(self._queue_name, str(job_id))
                    pipe.exists(in_progress_key_prefix + str(job_id))
                replies = await pipe.execute()
        except (RedisError, OSError) as exc:
            raise _unavailable(exc) from exc
        return {
            job_id: QueueState(
                job_key=bool(replies[3 * i]),
                in_queue=replies[3 * i + 1] is not None,
                in_progress=bool(replies[3 * i + 2]),
            )
            for i, job_id in enumerate(job_ids)
        }

    async def is_queued(self, job_id: uuid.UUID) -> bool:
        try:
            return bool(await self._redis.exists(ARQ_JOB_KEY_PREFIX + str(job_id)))
        except (RedisError, OSError) as exc:
            raise _unavailable(exc) from exc

    async def ping(self) -> None:
        try:
            await self._redis.ping()
        except (RedisError, OSError) as exc:
            raise DependencyUnavailable("redis", f"redis unreachable: {exc}") from exc
