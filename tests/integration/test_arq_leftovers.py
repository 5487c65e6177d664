"""What a worker that lost Redis leaves in arq, and how reconciliation and the feeder get past it (real stack)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import cast

import structlog
from arq.connections import ArqRedis
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from control_plane.db.models import ImportJob
from control_plane.domain.fair_share import TierWeights
from control_plane.domain.jobs import JobStatus
from control_plane.domain.ratelimit import BucketSpec
from control_plane.integrations.feeder import Feeder, FeederConfig
from control_plane.integrations.metrics.presence import WorkerPresence
from control_plane.integrations.queue import RedisWorkQueue
from control_plane.services.reconciliation import Reconciler, ReconcileReport
from control_plane.settings import Settings
from harness.stack.toxiproxy import ToxiproxyClient
from tests.conftest import Tenants
from tests.integration.conftest import submit
from tests.support.jobs import job_row, poll
from tests.support.queue import in_line_now

GRACE_S = 10.0
PAST_GRACE = timedelta(seconds=GRACE_S + 1)
UNLIMITED_STARTS = BucketSpec.per_minute(1_000_000, burst=1_000_000)
MARKER_MS = 3_600_000  # arq's in-progress marker lives job timeout + 10 s


def _feeder(redis: Redis, settings: Settings) -> Feeder:
    config = FeederConfig(slots_per_worker=2, start_spec=UNLIMITED_STARTS, weights=TierWeights())
    return Feeder(cast(ArqRedis, redis), settings.redis.queue_name, WorkerPresence(redis, fresh_for_s=1), config)


async def _pass(
    sessions: async_sessionmaker[AsyncSession], redis: Redis, settings: Settings, *, full: bool
) -> ReconcileReport:
    async with sessions() as session:
        queue = RedisWorkQueue(cast(ArqRedis, redis), settings.redis.queue_name)
        reconciler = Reconciler(session, queue, end_transaction=session.commit, pending_grace_s=GRACE_S)
        now = datetime.now(UTC) + PAST_GRACE
        report = await (reconciler.full_pass(now) if full else reconciler.sweep_leases(now))
        await session.commit()
    return report


async def _leave_behind(redis: Redis, settings: Settings, job_id: uuid.UUID | str, age_s: float) -> None:
    """arq's payload, its place in line since ``age_s`` ago and a worker's in-progress marker nobody will clear."""
    seconds, micros = await redis.time()
    since_ms = seconds * 1000 + micros // 1000 - int(age_s * 1000)
    await redis.set(f"arq:job:{job_id}", b"payload")
    await redis.zadd(settings.redis.queue_name, {str(job_id): since_ms})
    await redis.psetex(f"arq:in-progress:{job_id}", MARKER_MS, b"1")


async def test_a_queued_job_blocked_by_a_gone_workers_marker_is_requeued_and_fed_again(
    client: AsyncTestClient,  # type: ignore[type-arg]
    tenants: Tenants,
    sessions: async_sessionmaker[AsyncSession],
    redis: Redis,
    settings: Settings,
) -> None:
    """Redis went away while a worker saved the job's retry: PostgreSQL says QUEUED, arq still marks it running."""
    job_id = await submit(client, tenants.acme)
    assert (await _feeder(redis, settings).feed_once()).fed == 1  # the job is in arq now
    await redis.psetex(f"arq:in-progress:{job_id}", MARKER_MS, b"1")
    queue = RedisWorkQueue(cast(ArqRedis, redis), settings.redis.queue_name)
    found = (await queue.queue_state([job_id]))[job_id]
    assert found.job_key and found.in_queue and found.in_progress and found.lost

    report = await _pass(sessions, redis, settings, full=True)
    assert (report.requeued, report.enqueued, report.arq_discarded) == (1, 0, 0)
    assert not await redis.exists(f"arq:in-progress:{job_id}")
    assert await in_line_now(redis, settings, job_id)
    assert (await job_row(sessions, job_id)).status is JobStatus.QUEUED

    assert (await _feeder(redis, settings).feed_once()).fed == 1  # handed to arq again, nothing in its way
    assert await redis.zscore(settings.redis.queue_name, str(job_id)) is not None
    assert (await _pass(sessions, redis, settings, full=True)).as_dict()["requeued"] == 0


async def test_leftovers_of_finished_jobs_are_discarded_while_running_jobs_and_cron_entries_stay(
    client: AsyncTestClient,  # type: ignore[type-arg]
    tenants: Tenants,
    sessions: async_sessionmaker[AsyncSession],
    redis: Redis,
    settings: Settings,
) -> None:
    """Stale arq entries count as busy slots: left alone, they starve the feeder until their markers expire."""
    finished, running = await submit(client, tenants.acme), await submit(client, tenants.beans)
    async with sessions() as session:
        for job_id, status in ((finished, JobStatus.COMPLETED), (running, JobStatus.RUNNING)):
            job = await session.get_one(ImportJob, job_id)
            job.status = status
            job.worker_id = "host-a:live-worker"
            job.lease_expires_at = datetime.now(UTC) + timedelta(hours=1)
        await session.commit()
    for job_id in (finished, running, "cron:reconcile:1"):
        await _leave_behind(redis, settings, job_id, age_s=GRACE_S * 3)

    report = await _pass(sessions, redis, settings, full=False)  # the cheap sweep does it, not only the full pass
    assert report.arq_discarded == 1
    in_arq = {m.decode() for m in await redis.zrange(settings.redis.queue_name, 0, -1)}
    assert in_arq == {str(running), "cron:reconcile:1"}
    assert not await redis.exists(f"arq:job:{finished}", f"arq:in-progress:{finished}")
    assert await redis.exists(f"arq:in-progress:{running}")
    assert (await _pass(sessions, redis, settings, full=False)).arq_discarded == 0


async def test_the_feeder_loop_survives_a_redis_outage_and_feeds_when_redis_returns(
    client: AsyncTestClient,  # type: ignore[type-arg]
    tenants: Tenants,
    redis: Redis,
    settings: Settings,
    toxiproxy: ToxiproxyClient,
) -> None:
    job_id = await submit(client, tenants.acme)
    wake = asyncio.Event()
    feeder = _feeder(redis, settings)
    await redis.set(f"{feeder.dispatcher.prefix}:feeder", "a-feeder-that-died", px=2_000)  # its lock must lapse
    with structlog.testing.capture_logs() as logs:
        loop = asyncio.create_task(feeder.run(0.2, wake))
        try:
            with toxiproxy.disabled("redis"):

                async def failed_a_pass() -> bool:
                    return any(entry["event"] == "feeder.unavailable" for entry in logs)

                await poll(failed_a_pass, timeout_s=15, what="a feeder pass failing while Redis is away")
            assert not loop.done()
            for _ in range(3):  # the test's own pooled connections were cut too
                with contextlib.suppress(RedisConnectionError):
                    await redis.ping()

            async def fed() -> bool:
                return await redis.zscore(settings.redis.queue_name, str(job_id)) is not None

            await poll(fed, timeout_s=20, what="the job handed to arq after Redis returned")
            assert not loop.done()
        finally:
            loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await loop
