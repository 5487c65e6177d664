"""arq's worker, filling a freed slot at once and skipping the jobs already running before it tries any.

arq looks for work every ``poll_delay``: a slot that frees waits for the next
poll, and under CPU pressure for the event loop to get round to it. This worker
looks the moment a job ends (its slot released), so the job the feeder handed
to arq ahead of the slot starts without that wait; the poll loop still runs,
for jobs that arrive while slots are free.

arq also keeps every running job in its queue until the job ends, scored by when
it was queued, so a worker with a free slot reads them first: under a burst the
head of the queue is every slot's running job.  arq tries each id in turn, a
watched transaction of three or four round trips before it finds the marker and
moves on; this worker drops the ids with arq's in-progress marker in one
pipelined round trip, and arq's own transaction still decides each start (so a
fill and a poll racing for one job start it once).

And arq's poll loop ends the worker on the first Redis error: a Redis restart or
failover would take every worker down at once, with their running jobs. Here a
poll that cannot reach Redis is logged and tried again after a pause; the jobs
running meanwhile go on (their own Redis calls fail and are retried by the job's
policy), and the reconciler re-files from PostgreSQL whatever Redis lost.
"""

from __future__ import annotations

import asyncio
from typing import Any

import structlog
from arq.constants import in_progress_key_prefix
from arq.utils import timestamp_ms
from arq.worker import Worker
from redis.exceptions import RedisError

log = structlog.get_logger("workers")
REDIS_UNAVAILABLE = (RedisError, OSError)
POLL_RETRY_S = 1.0
"""Pause after a poll that could not reach Redis (arq's own delay would retry ten times a second)."""


class ImportWorker(Worker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._fills: set[asyncio.Task[None]] = set()
        """Fills in flight (a task nobody holds may be collected before it runs)."""
        self.failed_polls = 0
        """Polls that could not reach Redis since the worker started."""
        self._released = 0
        """Slots given back by finished jobs, so a start that failed half-way can tell what it took."""

    async def start_jobs(self, job_ids: list[bytes]) -> None:
        for job_id in await self._not_running(job_ids):
            await self._start_one(job_id)

    async def _start_one(self, job_id: bytes) -> None:
        """arq's start of one job, giving its slot back when Redis fails mid-start (arq would keep it taken)."""
        counted, released = self.job_counter, self._released
        try:
            await super().start_jobs([job_id])
        except REDIS_UNAVAILABLE:
            taken = self.job_counter - counted + (self._released - released)  # arq's own net change
            if taken > 0 and job_id.decode() not in self.tasks:
                Worker._release_sem_dec_counter_on_complete(self)
            raise

    async def _poll_iteration(self) -> None:
        try:
            await super()._poll_iteration()
        except REDIS_UNAVAILABLE as error:
            self.failed_polls += 1
            log.warning("worker.poll_failed", error=str(error), retry_in_s=POLL_RETRY_S)
            await asyncio.sleep(POLL_RETRY_S)

    def _release_sem_dec_counter_on_complete(self) -> None:
        super()._release_sem_dec_counter_on_complete()
        self._released += 1
        if not self.allow_pick_jobs:  # draining after SIGTERM: no new work
            return
        task = asyncio.get_running_loop().create_task(self._fill_free_slots())
        self._fills.add(task)
        task.add_done_callback(self._fills.discard)

    async def _fill_free_slots(self) -> None:
        """What a poll does to start jobs, now: the slot just freed need not wait for the next one."""
        if self.job_counter >= self.max_jobs:
            return
        try:
            job_ids = await self.pool.zrangebyscore(
                self.queue_name,
                min=float("-inf"),
                start=self._queue_read_offset,
                num=self.queue_read_limit,
                max=timestamp_ms(),
            )
            await self.start_jobs(job_ids)
        except REDIS_UNAVAILABLE as error:  # the poll loop tries again at its next tick
            log.warning("worker.fill_failed", error=str(error))

    async def _not_running(self, job_ids: list[bytes]) -> list[bytes]:
        """The ids without arq's in-progress marker (a marker set just after this read is caught by arq's check)."""
        if not job_ids:
            return []
        async with self.pool.pipeline(transaction=False) as pipe:
            for job_id in job_ids:
                pipe.exists(in_progress_key_prefix + job_id.decode())
            running = await pipe.execute()
        return [job_id for job_id, marked in zip(job_ids, running, strict=True) if not marked]
