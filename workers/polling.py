"""arq's worker, skipping the jobs already running before it tries to start any.

arq keeps every running job in its queue until the job ends, scored by when it
was queued, so a worker with a free slot reads them first: under a burst the
head of the queue is every slot's running job.  arq tries each id in turn, a
watched transaction of three or four round trips before it finds the marker and
moves on; this worker drops the ids with arq's in-progress marker in one
pipelined round trip, and arq's own transaction still decides each start.
"""

from __future__ import annotations

from arq.constants import in_progress_key_prefix
from arq.worker import Worker


class ImportWorker(Worker):
    async def start_jobs(self, job_ids: list[bytes]) -> None:
        await super().start_jobs(await self._not_running(job_ids))

    async def _not_running(self, job_ids: list[bytes]) -> list[bytes]:
        """The ids without arq's in-progress marker (a marker set just after this read is caught by arq's check)."""
        if not job_ids:
            return []
        async with self.pool.pipeline(transaction=False) as pipe:
            for job_id in job_ids:
                pipe.exists(in_progress_key_prefix + job_id.decode())
            running = await pipe.execute()
        return [job_id for job_id, marked in zip(job_ids, running, strict=True) if not marked]
