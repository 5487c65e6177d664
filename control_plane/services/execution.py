"""A worker's side of a job: claim it, record its outcome.

Claims are conditional updates in PostgreSQL, so two workers handed the same
job (after a Redis replay, say) cannot both run it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.db.models import ImportJob
from control_plane.db.repositories import JobRepository
from control_plane.domain.jobs import JobStatus


class JobExecution:
    def __init__(self, session: AsyncSession, *, worker_id: str) -> None:
        self._jobs = JobRepository(session)
        self._worker_id = worker_id

    async def claim(self, job_id: uuid.UUID) -> ImportJob | None:
        """Move a waiting job to RUNNING under this worker; None if it is not waiting."""
        now = datetime.now(UTC)
        job = await self._jobs.move(
            job_id,
            allowed_from=[JobStatus.PENDING, JobStatus.QUEUED],
            to=JobStatus.RUNNING,
            worker_id=self._worker_id,
            started_at=now,
            heartbeat_at=now,
            attempt_count=ImportJob.attempt_count + 1,
        )
        if job is not None:
            await self._jobs.add_event(
                job.id,
                kind="started",
                actor=self._worker_id,
                to_status=JobStatus.RUNNING,
                data={"attempt": job.attempt_count},
            )
        return job

    async def fail(self, job: ImportJob, reason: str) -> ImportJob | None:
        """Mark a running job FAILED with a reason an operator can act on."""
        failed = await self._jobs.move(
            job.id,
            allowed_from=[JobStatus.RUNNING],
            to=JobStatus.FAILED,
            finished_at=datetime.now(UTC),
            last_error=reason,
        )
        if failed is not None:
            await self._jobs.add_event(
                job.id,
                kind="failed",
                actor=self._worker_id,
                from_status=JobStatus.RUNNING,
                to_status=JobStatus.FAILED,
                message=reason,
            )
        return failed
