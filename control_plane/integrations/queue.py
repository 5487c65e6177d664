"""The Redis work queue: the fair dispatcher's lines in front of arq, reached by job name only.

Redis is volatile: a failed enqueue is reported, never hidden, and the job
stays in PostgreSQL for the reconciler to enqueue later.  Jobs are filed in
the dispatcher (:mod:`control_plane.integrations.dispatcher`); the feeder in
the workers moves them into arq's queue as worker slots free up.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import cast

from arq.connections import ArqRedis
from arq.constants import in_progress_key_prefix
from redis.asyncio import Connection, ConnectionPool, SSLConnection
from redis.asyncio.sentinel import Sentinel
from redis.exceptions import RedisError

from control_plane.domain.errors import DependencyUnavailable
from control_plane.domain.queueing import FileOutcome, QueueEntry, QueueState
from control_plane.integrations.dispatcher import ARQ_JOB_KEY_PREFIX, FairDispatcher
from control_plane.settings import RedisSettings

__all__ = ["ARQ_JOB_KEY_PREFIX", "RedisWorkQueue", "create_redis"]


def create_redis(settings: RedisSettings) -> ArqRedis:
    """A client that does not connect until first use and fails fast when Redis is away.

    With Sentinels configured, each new connection asks them for the current
    primary, so after a failover the client reaches the promoted replica.
    """
    password = settings.password.get_secret_value() if settings.password else None
    connect_s, reply_s = settings.connect_timeout_s, settings.socket_timeout_s
    sentinels = settings.sentinel_addresses()
    if sentinels:
        timeouts = {"socket_connect_timeout": connect_s, "socket_timeout": reply_s}
        sentinel = Sentinel(  # type: ignore[no-untyped-call]  # redis-py leaves its constructor untyped
            sentinels, sentinel_kwargs={**timeouts, "password": password}, **timeouts
        )
        redis = sentinel.master_for(
            settings.sentinel_master, redis_class=ArqRedis, db=settings.database, password=password, ssl=settings.tls
        )
        redis.default_queue_name = settings.queue_name
        return cast(ArqRedis, redis)
    pool = ConnectionPool(
        connection_class=SSLConnection if settings.tls else Connection,
        host=settings.host,
        port=settings.port,
        db=settings.database,
        password=password,
        socket_connect_timeout=connect_s,
        socket_timeout=reply_s,
        retry_on_timeout=False,
    )
    return ArqRedis(connection_pool=pool, default_queue_name=settings.queue_name)


def _unavailable(exc: BaseException) -> DependencyUnavailable:
    return DependencyUnavailable("redis", f"queue unavailable: {exc}")


class RedisWorkQueue:
    """The work queue port in Redis: files import jobs in the fair dispatcher under the job's own id."""

    def __init__(self, redis: ArqRedis, queue_name: str) -> None:
        self._redis = redis
        self._queue_name = queue_name
        self.dispatcher = FairDispatcher(redis, queue_name)

    async def file(self, entry: QueueEntry, *, defer_by: timedelta | None = None) -> FileOutcome:
        """File the job in its company's line (or delayed by ``defer_by``) whatever state the queue left it in.

        One Lua script takes the job out of arq if arq still holds it (payload, place in line, a dead
        worker's in-progress marker, a stale result or retry counter: arq key layout pinned at 0.28) and
        files it in the dispatcher; a job already in its line keeps its place.
        """
        try:
            held = await self.dispatcher.file(entry, defer_by=defer_by)
        except (RedisError, OSError) as exc:
            raise _unavailable(exc) from exc
        return FileOutcome.REQUEUED if held else FileOutcome.ENQUEUED

    async def queue_state(self, job_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, QueueState]:
        """What the dispatcher and arq hold for each job."""
        if not job_ids:
            return {}
        try:
            waiting = await self.dispatcher.holding(job_ids)
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
                in_dispatcher=waiting[job_id],
            )
            for i, job_id in enumerate(job_ids)
        }

    async def arq_entries_older_than(self, age_s: float, *, limit: int) -> list[uuid.UUID]:
        """Import jobs on arq's queue since more than ``age_s`` (Redis clock): running, or left behind by a worker.

        arq keeps a running job in its queue until the job ends, so these are the entries that may be
        stale; cron entries (not job ids) are skipped.
        """
        try:
            seconds, micros = await self._redis.time()
            cutoff_ms = seconds * 1000 + micros // 1000 - int(age_s * 1000)
            members = await self._redis.zrangebyscore(self._queue_name, "-inf", cutoff_ms, start=0, num=limit)
        except (RedisError, OSError) as exc:
            raise _unavailable(exc) from exc
        return [job_id for job_id in map(_job_id, members) if job_id is not None]

    async def discard_from_arq(self, job_id: uuid.UUID) -> None:
        """Drop arq's payload, in-progress marker and queue entry of a job PostgreSQL already finished.

        A worker that lost Redis while its job ended leaves them behind; the entry would count as a busy
        slot (and its marker block the id) until the marker expires, job timeout + 10 s later.
        """
        key = str(job_id)
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.delete(ARQ_JOB_KEY_PREFIX + key, in_progress_key_prefix + key)
                pipe.zrem(self._queue_name, key)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            raise _unavailable(exc) from exc

    async def ping(self) -> None:
        try:
            await self._redis.ping()
        except (RedisError, OSError) as exc:
            raise DependencyUnavailable("redis", f"redis unreachable: {exc}") from exc


def _job_id(member: bytes | str) -> uuid.UUID | None:
    try:
        return uuid.UUID(member.decode() if isinstance(member, bytes) else member)
    except ValueError:
        return None
