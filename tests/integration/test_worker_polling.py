"""The import worker against plain arq (real Redis, arq's own key layout, toxiproxy for the outage).

arq keeps running jobs in its queue until they end, at its head under a burst.
Given a read of ten running ids and one waiting, the worker starts the waiting
one with a single watched transaction; plain arq opens one per id. A freed slot
starts the next job at once, where plain arq waits for its poll. And a Redis
outage does not end the worker, where it ends plain arq's.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from arq.connections import ArqRedis
from arq.constants import in_progress_key_prefix
from arq.worker import Worker, func
from redis.asyncio import Redis
from redis.exceptions import RedisError

from harness.stack.toxiproxy import ToxiproxyClient
from tests.support.jobs import poll
from workers.polling import ImportWorker

RUNNING = 10
STARTED: list[str] = []


async def note(ctx: dict[str, Any]) -> None:
    STARTED.append(ctx["job_id"])


class CountingRedis(ArqRedis):
    """arq's client, counting the watched transactions arq opens to start a job."""

    transactions = 0

    def pipeline(self, transaction: bool = True, shard_hint: Any = None) -> Any:
        if transaction:
            CountingRedis.transactions += 1
        return super().pipeline(transaction=transaction, shard_hint=shard_hint)


@pytest.fixture
async def queue(redis: Redis) -> AsyncIterator[tuple[CountingRedis, str, list[bytes]]]:
    """Ten running jobs (marked by other workers) ahead of one waiting job, in a queue of this test alone."""
    arq = CountingRedis(connection_pool=redis.connection_pool)
    name = f"test-polling-{uuid.uuid4().hex}"
    ids = [f"{name}-{i}" for i in range(RUNNING + 1)]
    for job_id in ids:
        await arq.enqueue_job("note", _job_id=job_id, _queue_name=name)
    for job_id in ids[:RUNNING]:
        await arq.set(in_progress_key_prefix + job_id, b"1", px=60_000)
    STARTED.clear()
    CountingRedis.transactions = 0
    yield arq, name, [job_id.encode() for job_id in ids]
    await arq.delete(name, *(f"arq:job:{i}" for i in ids), *(in_progress_key_prefix + i for i in ids))


async def _start(kind: type[Worker], arq: ArqRedis, name: str, ids: list[bytes]) -> int:
    """Transactions opened to start the one waiting job."""
    worker = kind(functions=[func(note, name="note")], redis_pool=arq, queue_name=name, handle_signals=False)
    try:
        async with asyncio.timeout(10):
            await worker.start_jobs(ids)
        opened = CountingRedis.transactions  # read before the started job's own run opens any
        await poll(_started, timeout_s=5, what="the waiting job started")
    finally:
        await asyncio.gather(*worker.tasks.values(), return_exceptions=True)
    assert [ids[-1].decode()] == STARTED
    return opened


async def test_running_jobs_are_skipped_in_one_round_trip(queue: tuple[CountingRedis, str, list[bytes]]) -> None:
    assert await _start(ImportWorker, *queue) == 1


async def test_plain_arq_opens_a_transaction_per_running_job(queue: tuple[CountingRedis, str, list[bytes]]) -> None:
    """What the check above guards against."""
    assert await _start(Worker, *queue) == RUNNING + 1


async def _started() -> bool | None:
    return bool(STARTED) or None


@pytest.fixture
async def one_slot_queue(redis: Redis) -> AsyncIterator[tuple[ArqRedis, str, list[bytes]]]:
    """Two waiting jobs in a queue of this test alone, for a worker of one slot."""
    arq = ArqRedis(connection_pool=redis.connection_pool)
    name = f"test-fill-{uuid.uuid4().hex}"
    ids = [f"{name}-{i}" for i in range(2)]
    for job_id in ids:
        await arq.enqueue_job("note", _job_id=job_id, _queue_name=name)
    STARTED.clear()
    yield arq, name, [job_id.encode() for job_id in ids]
    await arq.delete(name, *(f"arq:job:{i}" for i in ids), *(in_progress_key_prefix + i for i in ids))


async def _second_start(kind: type[Worker], arq: ArqRedis, name: str, ids: list[bytes], timeout_s: float) -> None:
    """Start the first job by hand and wait for the second, with no poll loop running (arq's would be 60 s away)."""
    worker = kind(
        functions=[func(note, name="note")],
        redis_pool=arq,
        queue_name=name,
        handle_signals=False,
        max_jobs=1,
        poll_delay=60,
    )
    try:
        await worker.start_jobs(ids[:1])
        await poll(_both_started, timeout_s=timeout_s, what="the second job started")
    finally:
        await asyncio.gather(*worker.tasks.values(), return_exceptions=True)


async def test_a_freed_slot_starts_the_next_job_without_waiting_for_a_poll(
    one_slot_queue: tuple[ArqRedis, str, list[bytes]],
) -> None:
    await _second_start(ImportWorker, *one_slot_queue, timeout_s=10)
    assert [job_id.decode() for job_id in one_slot_queue[2]] == STARTED


async def test_plain_arq_leaves_a_freed_slot_until_its_next_poll(
    one_slot_queue: tuple[ArqRedis, str, list[bytes]],
) -> None:
    """What the fill above adds: plain arq starts nothing until its poll, a minute away."""
    with pytest.raises(AssertionError, match="the second job started"):
        await _second_start(Worker, *one_slot_queue, timeout_s=2)
    assert [one_slot_queue[2][0].decode()] == STARTED


async def _both_started() -> bool | None:
    return len(STARTED) == 2 or None


async def _through_an_outage(kind: type[Worker], arq: ArqRedis, name: str, toxiproxy: ToxiproxyClient) -> Worker:
    """Run ``kind``'s main loop while Redis (its proxy) is away, until it failed a poll or ended; Redis back after."""
    worker = kind(functions=[func(note, name="note")], redis_pool=arq, queue_name=name, handle_signals=False)
    worker.poll_delay_s = 0.05
    main = asyncio.create_task(worker.main())
    await asyncio.to_thread(toxiproxy.set_enabled, "redis", False)
    try:

        async def hit() -> bool | None:
            return main.done() or getattr(worker, "failed_polls", 0) > 0 or None

        await poll(hit, timeout_s=10, what="a poll during the outage")
    finally:
        await asyncio.to_thread(toxiproxy.set_enabled, "redis", True)
    worker.main_task = main
    return worker


async def test_a_redis_outage_does_not_end_the_worker(
    one_slot_queue: tuple[ArqRedis, str, list[bytes]], toxiproxy: ToxiproxyClient
) -> None:
    arq, name, _ids = one_slot_queue
    worker = await _through_an_outage(ImportWorker, arq, name, toxiproxy)
    try:
        await poll(_both_started, timeout_s=15, what="the queued jobs started after the outage")
        assert worker.main_task is not None and not worker.main_task.done()
    finally:
        assert worker.main_task is not None
        worker.main_task.cancel()
        await asyncio.gather(worker.main_task, *worker.tasks.values(), return_exceptions=True)


async def test_plain_arq_ends_on_a_redis_outage(
    one_slot_queue: tuple[ArqRedis, str, list[bytes]], toxiproxy: ToxiproxyClient
) -> None:
    """What the retry above guards against: arq's poll loop raises, and the worker is gone."""
    arq, name, _ids = one_slot_queue
    worker = await _through_an_outage(Worker, arq, name, toxiproxy)
    assert worker.main_task is not None
    await poll(_done(worker.main_task), timeout_s=10, what="plain arq's main loop ended")
    assert isinstance(worker.main_task.exception(), (RedisError, OSError))


def _done(task: asyncio.Task[None]) -> Callable[[], Awaitable[bool | None]]:
    async def check() -> bool | None:
        return task.done() or None

    return check
