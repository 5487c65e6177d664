"""Long-poll on one job: answer when it moved as the caller waits for, or when the wait ends.

No pooled database connection is held while waiting: the job is read, the
connection handed back, and the job read again on a fresh one after each
announcement (a hint that may be spurious or missed) and at the deadline.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from control_plane.db.models import ImportJob
from control_plane.domain.job_wait import JobWait
from control_plane.domain.principals import Principal
from control_plane.services.imports import ImportService
from control_plane.services.ports import JobChanges, ReleasableSession


class JobWaiter:
    def __init__(
        self,
        database: ReleasableSession,
        changes: JobChanges,
        *,
        actor: Principal,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._database = database
        self._changes = changes
        self._actor = actor
        self._clock = clock

    async def get(self, job_id: uuid.UUID, wait: JobWait) -> ImportJob:
        """The job once ``wait`` is over, or as it is when ``wait.seconds`` have passed (never an error)."""
        if wait.seconds == 0:
            return await self._read(job_id)
        deadline = self._clock() + wait.seconds
        async with self._changes.watch(job_id) as watch:  # before the read: no announcement falls in between
            job = await self._read(job_id)
            while not wait.is_over(job.status) and (remaining := deadline - self._clock()) > 0:
                await self._database.close()
                await watch.changed(remaining)
                job = await self._read(job_id)
        return job

    async def _read(self, job_id: uuid.UUID) -> ImportJob:
        return await ImportService(await self._database.session(), actor=self._actor).get(job_id)
