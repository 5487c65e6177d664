"""Reconciliation on the real PostgreSQL and Redis: every orphan goes back in line, once, on the record."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from arq.connections import ArqRedis
from litestar.testing import AsyncTestClient
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from control_plane.db.models import ImportJob, JobEvent
from control_plane.domain.jobs import JobStatus
from control_plane.integrations.queue import RedisWorkQueue
from control_plane.services.reconciliation import Reconciler, ReconcileReport
from control_plane.settings import Settings
from harness.stack.toxiproxy import ToxiproxyClient
from tests.conftest import Tenants
from tests.support.queue import dispatcher, forget, in_line_now
from workers.reconciliation_tasks import reconcile, sweep_leases
from workers.resources import RESOURCES_KEY, CronResources

IMPORTS = "/api/v1/imports"
GRACE_S = 10.0
PAST_GRACE = timedelta(seconds=GRACE_S + 1)
NOTHING = {"enqueued": 0, "requeued": 0, "leases_expired": 0, "arq_discarded": 0, "redis_unavailable": False}
DEAD_WORKER = "host-a:dead-worker"


async def _pass(
    sessions: async_sessionmaker[AsyncSession], redis: ArqRedis, settings: Settings, now: datetime | None, *, full: bool
) -> ReconcileReport:
    async with sessions() as session:
        reconciler = Reconciler(
            session,
            RedisWorkQueue(redis, settings.redis.queue_name),
            end_transaction=session.commit,
            pending_grace_s=GRACE_S,
        )
        report = await (reconciler.full_pass(now) if full else reconciler.sweep_leases(now))
        await session.commit()
    return report


async def _submit(client: AsyncTestClient, tenants: Tenants) -> uuid.UUID:  # type: ignore[type-arg]
    response = await client.post(
        IMPORTS, json={"integration_id": str(tenants.acme.integration_id)}, headers=tenants.acme.auth
    )
    assert response.status_code == 202, response.text
    return uuid.UUID(response.json()["job"]["id"])


async def _job(sessions: async_sessionmaker[AsyncSession], job_id: uuid.UUID) -> ImportJob:
    async with sessions() as session:
        job = await session.get(ImportJob, job_id)
    assert job is not None
    return job


async def _events(sessions: async_sessionmaker[AsyncSession], job_id: uuid.UUID) -> list[JobEvent]:
    async with sessions() as session:
        rows = await session.execute(sa.select(JobEvent).where(JobEvent.job_id == job_id).order_by(JobEvent.id))
        return list(rows.scalars())


async def _update(sessions: async_sessionmaker[AsyncSession], job_id: uuid.UUID, **values: Any) -> None:
    async with sessions() as session:
        await session.execute(sa.update(ImportJob).where(ImportJob.id == job_id).values(**values))
        await session.commit()


@contextlib.asynccontextmanager
async def _outage(toxiproxy: ToxiproxyClient, redis: ArqRedis) -> AsyncIterator[None]:
    """Redis away for the block; afterwards the connections it cut are replaced before the test goes on."""
    with toxiproxy.disabled("redis"):
        yield
    for _ in range(3):  # a pooled connection cut by the outage fails its first command once
        with contextlib.suppress(RedisConnectionError):
            await redis.ping()
            return


async def _run_dead(sessions: async_sessionmaker[AsyncSession], redis: ArqRedis, job_id: uuid.UUID) -> None:
    """What a worker killed mid-job leaves: RUNNING under its id, a lapsed lease, arq's in-progress marker."""
    now = datetime.now(UTC)
    await _update(
        sessions,
        job_id,
        status=JobStatus.RUNNING,
        worker_id=DEAD_WORKER,
        started_at=now - timedelta(minutes=2),
        heartbeat_at=now - timedelta(seconds=30),
        lease_expires_at=now - timedelta(seconds=15),
        attempt_count=1,
    )
    await redis.psetex(f"arq:in-progress:{job_id}", 3_600_000, b"1")


async def test_a_pending_job_left_by_a_redis_outage_is_enqueued_once_past_the_grace(
    client: AsyncTestClient,  # type: ignore[type-arg]
    tenants: Tenants,
    sessions: async_sessionmaker[AsyncSession],
    redis: ArqRedis,
    settings: Settings,
    toxiproxy: ToxiproxyClient,
) -> None:
    async with _outage(toxiproxy, redis):
        job_id = await _submit(client, tenants)
    # Long requested, but the failed enqueue just now restarts the grace.
    await _update(sessions, job_id, requested_at=datetime.now(UTC) - timedelta(hours=1))

    early = await _pass(sessions, redis, settings, datetime.now(UTC), full=True)
    assert early.as_dict() == NOTHING
    assert (await _job(sessions, job_id)).status is JobStatus.PENDING
    assert not await in_line_now(redis, settings, job_id)

    report = await _pass(sessions, redis, settings, datetime.now(UTC) + PAST_GRACE, full=True)
    assert report.as_dict() == {**NOTHING, "enqueued": 1}
    job = await _job(sessions, job_id)
    assert job.status is JobStatus.QUEUED and job.queued_at is not None
    assert await in_line_now(redis, settings, job_id)
    events = await _events(sessions, job_id)
    assert [e.kind for e in events] == ["created", "enqueue_failed", "reconcile.enqueued"]
    last = events[-1]
    assert (last.actor, last.from_status, last.to_status) == ("reconciler", "PENDING", "QUEUED")
    assert last.data["queue"] == "enqueued"


async def test_after_a_flush_one_pass_requeues_every_queued_job_and_a_second_finds_nothing(
    client: AsyncTestClient,  # type: ignore[type-arg]
    tenants: Tenants,
    sessions: async_sessionmaker[AsyncSession],
    redis: ArqRedis,
    settings: Settings,
) -> None:
    job_ids = [await _submit(client, tenants) for _ in range(4)]
    await redis.flushdb()
    later = datetime.now(UTC) + PAST_GRACE

    first = await _pass(sessions, redis, settings, later, full=True)
    assert first.as_dict() == {**NOTHING, "requeued": len(job_ids)}
    for job_id in job_ids:
        assert await in_line_now(redis, settings, job_id)
        assert (await _job(sessions, job_id)).status is JobStatus.QUEUED
        kinds = [e.kind for e in await _events(sessions, job_id)]
        assert kinds == ["created", "queued", "reconcile.requeued"]

    second = await _pass(sessions, redis, settings, later, full=True)
    assert second.as_dict() == NOTHING


async def test_a_dead_workers_job_is_handed_back_and_a_live_lease_is_left_alone(
    client: AsyncTestClient,  # type: ignore[type-arg]
    tenants: Tenants,
    sessions: async_sessionmaker[AsyncSession],
    redis: ArqRedis,
    settings: Settings,
) -> None:
    dead, alive = await _submit(client, tenants), await _submit(client, tenants)
    await _run_dead(sessions, redis, dead)
    await _update(
        sessions,
        alive,
        status=JobStatus.RUNNING,
        worker_id="host-b:alive",
        lease_expires_at=datetime.now(UTC) + timedelta(seconds=60),
    )
    await redis.psetex(f"arq:in-progress:{alive}", 3_600_000, b"1")

    report = await _pass(sessions, redis, settings, None, full=False)
    assert report.as_dict() == {**NOTHING, "leases_expired": 1}

    assert not await redis.exists(f"arq:in-progress:{dead}")
    assert await in_line_now(redis, settings, dead)
    job = await _job(sessions, dead)
    assert job.status is JobStatus.QUEUED and job.worker_id is None and job.lease_expires_at is None
    event = (await _events(sessions, dead))[-1]
    assert (event.kind, event.from_status, event.to_status) == ("reconcile.lease_expired", "RUNNING", "QUEUED")
    assert event.data["previous_worker"] == DEAD_WORKER and event.data["expired_for_s"] >= 15
    assert event.data["queue"] == "requeued"

    untouched = await _job(sessions, alive)
    assert untouched.status is JobStatus.RUNNING and untouched.worker_id == "host-b:alive"
    assert await redis.exists(f"arq:in-progress:{alive}")
    assert [e.kind for e in await _events(sessions, alive)] == ["created", "queued"]
    assert (await _pass(sessions, redis, settings, None, full=False)).as_dict() == NOTHING


async def test_a_dead_workers_job_redis_forgot_is_enqueued_afresh_despite_a_stale_result(
    client: AsyncTestClient,  # type: ignore[type-arg]
    tenants: Tenants,
    sessions: async_sessionmaker[AsyncSession],
    redis: ArqRedis,
    settings: Settings,
) -> None:
    job_id = await _submit(client, tenants)
    await _run_dead(sessions, redis, job_id)
    await forget(redis, settings, job_id)
    await redis.set(f"arq:result:{job_id}", b"stale", px=3_600_000)  # arq would refuse to enqueue over it

    report = await _pass(sessions, redis, settings, None, full=True)
    assert report.as_dict() == {**NOTHING, "leases_expired": 1}
    assert await in_line_now(redis, settings, job_id)
    assert not await redis.exists(f"arq:result:{job_id}", f"arq:in-progress:{job_id}")
    assert (await _events(sessions, job_id))[-1].data["queue"] == "enqueued"


async def test_with_redis_down_a_pass_says_so_and_changes_nothing_in_postgres(
    client: AsyncTestClient,  # type: ignore[type-arg]
    tenants: Tenants,
    sessions: async_sessionmaker[AsyncSession],
    redis: ArqRedis,
    settings: Settings,
    toxiproxy: ToxiproxyClient,
) -> None:
    queued, dead = await _submit(client, tenants), await _submit(client, tenants)
    async with _outage(toxiproxy, redis):
        pending = await _submit(client, tenants)
    await redis.flushdb()
    await _run_dead(sessions, redis, dead)
    later = datetime.now(UTC) + PAST_GRACE
    before = {job_id: len(await _events(sessions, job_id)) for job_id in (queued, dead, pending)}

    async with _outage(toxiproxy, redis):
        report = await _pass(sessions, redis, settings, later, full=True)
    assert report.as_dict() == {**NOTHING, "redis_unavailable": True}
    statuses = {job_id: (await _job(sessions, job_id)).status for job_id in before}
    assert statuses == {queued: JobStatus.QUEUED, dead: JobStatus.RUNNING, pending: JobStatus.PENDING}
    assert {job_id: len(await _events(sessions, job_id)) for job_id in before} == before

    # Redis back: the next pass catches up on all three.
    recovered = await _pass(sessions, redis, settings, later, full=True)
    assert recovered.as_dict() == {**NOTHING, "enqueued": 1, "requeued": 1, "leases_expired": 1}
    for job_id in before:
        assert await in_line_now(redis, settings, job_id)


async def test_the_task_shells_commit_and_return_their_counts(
    client: AsyncTestClient,  # type: ignore[type-arg]
    tenants: Tenants,
    sessions: async_sessionmaker[AsyncSession],
    redis: ArqRedis,
    settings: Settings,
) -> None:
    job_id = await _submit(client, tenants)
    await _run_dead(sessions, redis, job_id)
    ctx = {RESOURCES_KEY: CronResources(settings, sessions, redis)}

    assert await sweep_leases(ctx) == {**NOTHING, "leases_expired": 1}
    assert (await _job(sessions, job_id)).status is JobStatus.QUEUED
    assert await reconcile(ctx) == NOTHING


async def test_a_job_stuck_in_a_line_whose_company_left_the_rotation_is_filed_again(
    client: AsyncTestClient,  # type: ignore[type-arg]
    tenants: Tenants,
    sessions: async_sessionmaker[AsyncSession],
    redis: ArqRedis,
    settings: Settings,
) -> None:
    """A line no feeder would ever read (its company missing from the tier's rotation) counts as lost."""
    job_id = await _submit(client, tenants)
    fair = dispatcher(redis, settings)
    await redis.zrem(fair.rotation_key("PRO"), str(tenants.acme.company_id))
    assert not await in_line_now(redis, settings, job_id)

    report = await _pass(sessions, redis, settings, datetime.now(UTC) + PAST_GRACE, full=True)
    assert report.as_dict() == {**NOTHING, "requeued": 1}
    assert await in_line_now(redis, settings, job_id)
    assert await redis.zscore(fair.rotation_key("PRO"), str(tenants.acme.company_id)) is not None
    event = (await _events(sessions, job_id))[-1]
    assert event.kind == "reconcile.requeued" and event.data["queue"] == "requeued"
    assert event.data["found"]["in_dispatcher"] is False


class _WatchedQueue:
    """The real queue, noting for every call whether the pass's session was inside a transaction."""

    def __init__(self, queue: RedisWorkQueue, session: AsyncSession) -> None:
        self._queue = queue
        self._session = session
        self.calls: list[tuple[str, bool]] = []

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._queue, name)

        async def watched(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((name, self._session.in_transaction()))
            return await method(*args, **kwargs)

        return watched


async def _watched_pass(
    sessions: async_sessionmaker[AsyncSession], redis: ArqRedis, settings: Settings, *, commit_before_redis: bool
) -> list[tuple[str, bool]]:
    async def nothing() -> None:
        return None

    async with sessions() as session:
        queue = _WatchedQueue(RedisWorkQueue(redis, settings.redis.queue_name), session)
        end = session.commit if commit_before_redis else nothing
        reconciler = Reconciler(session, queue, end_transaction=end, pending_grace_s=GRACE_S)  # type: ignore[arg-type]
        await reconciler.full_pass(datetime.now(UTC) + PAST_GRACE)
        await session.commit()
    return queue.calls


async def test_no_queue_call_of_a_pass_runs_inside_a_transaction(
    client: AsyncTestClient,  # type: ignore[type-arg]
    tenants: Tenants,
    sessions: async_sessionmaker[AsyncSession],
    redis: ArqRedis,
    settings: Settings,
) -> None:
    """A slow Redis must not hold row locks: every queue call of a full pass comes after a commit.

    Broken on purpose (an ``end_transaction`` that does nothing), the same pass is caught calling
    the queue with its transaction open.
    """
    dead, lost = await _submit(client, tenants), await _submit(client, tenants)
    await _run_dead(sessions, redis, dead)
    await forget(redis, settings, lost)

    calls = await _watched_pass(sessions, redis, settings, commit_before_redis=True)
    assert {"ping", "file", "queue_state"} <= {name for name, _ in calls}
    assert [name for name, in_transaction in calls if in_transaction] == []

    await _run_dead(sessions, redis, dead)
    await forget(redis, settings, lost)
    broken = await _watched_pass(sessions, redis, settings, commit_before_redis=False)
    assert [name for name, in_transaction in broken if in_transaction], broken
