"""The fair dispatcher on the real Redis: same order as the policy's model, slot-bounded, pause-aware, counted."""

from __future__ import annotations

import random
import time
import uuid
from datetime import datetime, timedelta
from typing import cast

import httpx
import sqlalchemy as sa
from arq.connections import ArqRedis
from redis.asyncio import Redis

from control_plane.db.models import ImportJob
from control_plane.domain.fair_share import FairQueue, TierWeights
from control_plane.domain.pausing import PauseScope, PauseTarget
from control_plane.domain.principals import Tier
from control_plane.domain.queueing import QueueEntry
from control_plane.domain.ratelimit import BucketSpec
from control_plane.integrations.feeder import Feeder, FeederConfig
from control_plane.integrations.metrics.presence import WorkerPresence
from control_plane.integrations.metrics.redis_figures import queue_counts
from control_plane.integrations.queue import RedisWorkQueue
from control_plane.integrations.redis_state.ops_state import RedisOpsState
from control_plane.services.imports import ImportRequest, ImportService
from control_plane.services.pause_gate import park_if_paused
from control_plane.settings import Settings
from tests.conftest import OPERATOR, Vendor
from tests.integration.conftest import Rig
from tests.support.companies import shopify_company
from tests.support.jobs import job_row, poll, wait_for_status

UNLIMITED_STARTS = BucketSpec.per_minute(1_000_000, burst=1_000_000)


def _feeder(redis: Redis, settings: Settings, slots: int, ready_per_slot: int = 0) -> Feeder:
    """No worker stamps presence in these tests, so the feeder counts one worker of ``slots`` slots."""
    config = FeederConfig(
        slots_per_worker=slots, start_spec=UNLIMITED_STARTS, weights=TierWeights(), ready_per_slot=ready_per_slot
    )
    return Feeder(cast(ArqRedis, redis), settings.redis.queue_name, WorkerPresence(redis, fresh_for_s=1), config)


async def _in_arq(redis: Redis, settings: Settings) -> list[str]:
    return [member.decode() for member in await redis.zrange(settings.redis.queue_name, 0, -1)]


async def _finish_all(redis: Redis, settings: Settings) -> list[str]:
    """What a worker does when its jobs end: arq's entries and payloads go."""
    jobs = await _in_arq(redis, settings)
    if jobs:
        await redis.zrem(settings.redis.queue_name, *jobs)
        await redis.delete(*[f"arq:job:{job}" for job in jobs])
    return jobs


async def test_the_redis_dispatcher_hands_out_jobs_in_the_models_order(
    redis: Redis, settings: Settings, clean: None
) -> None:
    rng = random.Random(20_251_123)
    queue = RedisWorkQueue(cast(ArqRedis, redis), settings.redis.queue_name)
    feeder = _feeder(redis, settings, slots=1)
    model = FairQueue()
    companies = [(str(uuid.uuid4()), tier) for tier in Tier for _ in range(3)]
    from_redis: list[str] = []
    from_model: list[str] = []
    for _ in range(400):
        if rng.random() < 0.55:
            company, tier = rng.choice(companies)
            job = uuid.uuid4()
            await queue.file(QueueEntry(job, uuid.UUID(company), tier))
            model.push(str(job), company, tier)
            continue
        report = await feeder.feed_once()
        popped = model.pop()
        from_redis.extend(await _finish_all(redis, settings))
        assert report.fed == (1 if popped else 0)
        if popped:
            from_model.append(popped[0])
    print(f"\n{len(from_redis)} jobs handed out by Redis and by the model, in the same order")
    assert len(from_redis) > 100
    assert from_redis == from_model


async def test_one_feeder_feeds_at_a_time_and_none_drops_anothers_lock(
    redis: Redis, settings: Settings, clean: None
) -> None:
    queue = RedisWorkQueue(cast(ArqRedis, redis), settings.redis.queue_name)
    feeder = _feeder(redis, settings, slots=3)
    await queue.file(QueueEntry(uuid.uuid4(), uuid.uuid4(), Tier.PRO))
    lock_key = f"{feeder.dispatcher.prefix}:feeder"
    await redis.set(lock_key, "another-feeder", px=60_000)
    assert (await feeder.feed_once()).skipped == "another feeder is feeding"
    assert await redis.get(lock_key) == b"another-feeder", "only its owner may release the lock"
    await redis.delete(lock_key)
    assert (await feeder.feed_once()).fed == 1
    assert await redis.get(lock_key) is None, "the owner releases its lock at the end of its pass"


async def test_the_feeder_keeps_the_configured_jobs_ready_behind_each_slot(
    redis: Redis, settings: Settings, clean: None
) -> None:
    """One ready job per slot: a slot that frees finds its next job in arq, no feeder pass in between."""
    queue = RedisWorkQueue(cast(ArqRedis, redis), settings.redis.queue_name)
    for _ in range(20):
        await queue.file(QueueEntry(uuid.uuid4(), uuid.uuid4(), Tier.PRO))
    feeder = _feeder(redis, settings, slots=3, ready_per_slot=1)
    assert (await feeder.feed_once()).fed == 6
    assert (await feeder.feed_once()).fed == 0
    first = (await _in_arq(redis, settings))[0]
    await redis.zrem(settings.redis.queue_name, first)  # one job ended
    assert (await feeder.feed_once()).fed == 1
    assert len(await _in_arq(redis, settings)) == 6


async def test_a_new_vendors_job_and_a_resumed_job_go_ahead_of_the_jobs_already_ready(
    redis: Redis, settings: Settings, clean: None
) -> None:
    """The ready jobs were picked before these arrived: arq must not start those first."""
    queue = RedisWorkQueue(cast(ArqRedis, redis), settings.redis.queue_name)
    backlog, newcomer = uuid.uuid4(), uuid.uuid4()
    backlog_jobs = [uuid.uuid4() for _ in range(20)]
    for job in backlog_jobs:
        await queue.file(QueueEntry(job, backlog, Tier.PRO))
    feeder = _feeder(redis, settings, slots=3, ready_per_slot=1)
    assert (await feeder.feed_once()).fed == 6
    running = backlog_jobs[:3]  # what three slots took; the other three wait behind them
    await redis.zrem(settings.redis.queue_name, str(running[0]))  # one ended: a place frees
    newcomer_job = uuid.uuid4()
    await queue.file(QueueEntry(newcomer_job, newcomer, Tier.PRO))
    assert (await feeder.feed_once()).fed == 1
    await redis.zrem(settings.redis.queue_name, str(running[1]))
    resumed_job = uuid.uuid4()
    await queue.file(QueueEntry(resumed_job, backlog, Tier.PRO, resumed=True))
    assert (await feeder.feed_once()).fed == 1

    leading = [str(newcomer_job), str(resumed_job)]
    handed_out = [str(job) for job in backlog_jobs[2:6]]  # one still running, three ready
    assert await _in_arq(redis, settings) == leading + handed_out


async def test_the_feeder_fills_only_free_slots_skips_paused_scopes_and_promotes_due_jobs(
    redis: Redis, settings: Settings, clean: None
) -> None:
    queue = RedisWorkQueue(cast(ArqRedis, redis), settings.redis.queue_name)
    state = RedisOpsState(redis, settings.redis.queue_name)
    feeder = _feeder(redis, settings, slots=3)
    burst, single, later = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    for _ in range(20):
        await queue.file(QueueEntry(uuid.uuid4(), burst, Tier.PRO))
    assert await state.queue_depth() == 20  # waiting in the dispatcher counts as depth
    assert await queue_counts(redis, settings.redis.queue_name) == (20, 0)

    assert (await feeder.feed_once()).fed == 3
    assert (await feeder.feed_once()).fed == 0  # every slot is taken: arq's queue stays short
    assert len(await _in_arq(redis, settings)) == 3 and await state.queue_depth() == 20

    await state.pause(PauseTarget(PauseScope.COMPANY, str(burst)), reason="test", actor="test")
    await _finish_all(redis, settings)
    single_job = uuid.uuid4()
    await queue.file(QueueEntry(single_job, single, Tier.BASIC))
    assert (await feeder.feed_once()).fed == 1  # three free slots, but the paused company keeps its line
    assert await _finish_all(redis, settings) == [str(single_job)]

    await state.pause(PauseTarget(PauseScope.QUEUE), reason="test", actor="test")
    await state.resume(PauseTarget(PauseScope.COMPANY, str(burst)))
    paused = await feeder.feed_once()
    assert (paused.fed, paused.skipped) == (0, "the queue is paused")
    await state.resume(PauseTarget(PauseScope.QUEUE))

    deferred = uuid.uuid4()
    await queue.file(QueueEntry(deferred, later, Tier.ENTERPRISE), defer_by=timedelta(milliseconds=300))
    assert await queue_counts(redis, settings.redis.queue_name) == (17, 1)
    assert (await queue.queue_state([deferred]))[deferred].in_dispatcher

    async def deferred_dispatched() -> bool:
        await feeder.feed_once()
        return str(deferred) in await _finish_all(redis, settings)

    await poll(deferred_dispatched, timeout_s=10, every_s=0.1, what="the deferred job to be promoted and fed")


async def test_a_resumed_job_goes_ahead_of_its_companys_waiting_jobs_in_its_own_order(
    redis: Redis, settings: Settings, clean: None
) -> None:
    """A job whose worker died is re-filed ahead of jobs not yet started: a crash costs no wait behind the backlog."""
    queue = RedisWorkQueue(cast(ArqRedis, redis), settings.redis.queue_name)
    feeder = _feeder(redis, settings, slots=1)
    company = uuid.uuid4()
    waiting = [uuid.uuid4() for _ in range(5)]
    for job in waiting:
        await queue.file(QueueEntry(job, company, Tier.PRO))
    first, second = uuid.uuid4(), uuid.uuid4()
    await queue.file(QueueEntry(first, company, Tier.PRO, resumed=True))
    await queue.file(QueueEntry(second, company, Tier.PRO, resumed=True))
    order = []
    for _ in range(7):
        assert (await feeder.feed_once()).fed == 1
        order.extend(await _finish_all(redis, settings))
    assert order == [str(j) for j in (first, second, *waiting)]


BURST = 1000
SLOTS = 3
"""One worker running three jobs at once: a worker-slot turnover is three job starts."""
# The burst is a second PRO company, same tier as acme: only the round-robin between companies separates them.
SHOP = {"products": 3, "images_min": 0, "images_max": 0, "faults": {"latency_ms": 150}}
OPTIONS = {"include_images": False}


async def _submit_burst(rig: Rig, redis: Redis, settings: Settings, vendor: Vendor, count: int) -> None:
    """``count`` jobs through the same service calls as ``POST /imports`` (written, committed, then queued)."""
    queue = RedisWorkQueue(cast(ArqRedis, redis), settings.redis.queue_name)
    async with rig.sessions() as session:
        imports = ImportService(session, actor=OPERATOR)
        jobs = [
            (await imports.submit(ImportRequest(vendor.integration_id, OPTIONS), idempotency_key=None)).job
            for _ in range(count)
        ]
        await session.commit()
        for job in jobs:
            assert (await imports.file(job, queue)).enqueued
        await session.commit()


async def _started(rig: Rig, company: uuid.UUID, after: datetime | None = None, before: datetime | None = None) -> int:
    query = sa.select(sa.func.count()).where(ImportJob.company_id == company, ImportJob.started_at.is_not(None))
    if after is not None:
        query = query.where(ImportJob.started_at > after)
    if before is not None:
        query = query.where(ImportJob.started_at < before)
    async with rig.sessions() as session:
        return int((await session.execute(query)).scalar_one())


async def test_a_burst_of_1000_jobs_delays_another_companys_single_job_by_at_most_one_slot_turnover(
    rig: Rig, settings: Settings, sim: httpx.AsyncClient, redis: Redis
) -> None:
    await rig.shop(**SHOP)
    burst = await shopify_company(rig.sessions, settings, sim, slug="burst", tier=Tier.PRO, shop=SHOP)
    try:
        submitting = time.monotonic()
        await _submit_burst(rig, redis, settings, burst, BURST)
        submit_s = time.monotonic() - submitting
        rig.start_workers(1, ICP_WORKER_CONCURRENCY=str(SLOTS), ICP_RATELIMIT_JOB_STARTS_PER_MINUTE="100000")

        async def burst_owns_the_slots() -> int | None:
            started = await _started(rig, burst.company_id)
            return started if started >= 2 * SLOTS else None

        await poll(burst_owns_the_slots, timeout_s=90, what="the burst to keep every worker slot busy")
        single_id = await rig.submit(**OPTIONS)
        single = await wait_for_status(rig.sessions, single_id, "RUNNING", "COMPLETED", timeout_s=90)
    finally:
        await sim.delete(f"/_sim/accounts/shopify/{burst.account}")
    assert single.started_at is not None
    ahead_at_submission = BURST - await _started(rig, burst.company_id, before=single.requested_at)
    overtaking = await _started(rig, burst.company_id, after=single.requested_at, before=single.started_at)
    waited_s = (single.started_at - single.requested_at).total_seconds()
    print(
        f"\nfairness: burst of {BURST} jobs (company A), {SLOTS} worker slots; company B's single job waited "
        f"{waited_s:.2f} s, while {overtaking} of A's jobs started before it (bound: one turnover = {SLOTS}); "
        f"arq's FIFO alone would have started the {ahead_at_submission} A jobs still waiting first "
        f"(burst submitted in {submit_s:.1f} s)"
    )
    assert overtaking <= SLOTS
    assert ahead_at_submission > 10 * SLOTS  # the burst was far from drained: the bound is not trivial


async def test_a_worker_files_a_paused_providers_job_back_in_its_line_delayed_and_holds_no_slot(
    rig: Rig, settings: Settings, redis: Redis
) -> None:
    """A provider pause is only seen by the worker: it parks the job back in the dispatcher, unclaimed."""
    state = RedisOpsState(redis, settings.redis.queue_name)
    job_id = await rig.submit()
    worker = RedisWorkQueue(cast(ArqRedis, redis), settings.redis.queue_name)
    await _feeder(redis, settings, slots=1).feed_once()  # as a worker's feeder would: the job goes to arq
    assert await _in_arq(redis, settings) == [str(job_id)]
    await state.pause(PauseTarget(PauseScope.PROVIDER, "shopify"), reason="test", actor="test")

    pause = await park_if_paused(rig.sessions, state, worker, job_id, timedelta(seconds=30))
    assert pause is not None and pause.target.key == "provider:shopify"
    assert await _in_arq(redis, settings) == [] and not await redis.exists(f"arq:job:{job_id}")
    due = await redis.zscore(worker.dispatcher.delayed_key, str(job_id))
    assert due is not None and due > time.time() * 1000 + 25_000
    assert (await job_row(rig.sessions, job_id)).status.value == "QUEUED"

    await state.resume(PauseTarget(PauseScope.PROVIDER, "shopify"))
    assert await park_if_paused(rig.sessions, state, worker, job_id, timedelta(seconds=30)) is None
