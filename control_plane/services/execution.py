"""A worker's side of a job: claim it under a lease, checkpoint it, settle it.

Every write after the claim is fenced on the lease (status RUNNING and this
worker's id): a worker that lost its job (it stalled and another worker took
over) can no longer change it, so a job finishes exactly once in effect.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.db.models import ImportJob
from control_plane.db.repositories import JobRepository
from control_plane.db.repositories.catalog_removals import CatalogRemovalRepository
from control_plane.db.repositories.leases import LeaseRepository, LeaseState
from control_plane.domain.jobs import TERMINAL_STATUSES, JobStatus
from control_plane.domain.queueing import Delivery

COUNTERS = (
    "products_processed",
    "products_failed",
    "images_total",
    "images_processed",
    "images_failed",
    "products_removed",
    "images_removed",
)


class LeaseLost(Exception):
    """This worker no longer holds the job; it must stop without writing anything more."""

    def __init__(self, job_id: uuid.UUID) -> None:
        super().__init__(f"lease on job {job_id} lost")
        self.job_id = job_id


class JobExecution:
    def __init__(self, session: AsyncSession, *, worker_id: str, lease_ttl: timedelta) -> None:
        self._jobs = JobRepository(session)
        self._leases = LeaseRepository(session)
        self._removals = CatalogRemovalRepository(session)
        self._worker_id = worker_id
        self._ttl = lease_ttl

    async def claim(self, job_id: uuid.UUID, delivery: Delivery | None = None) -> ImportJob | None:
        """Move a waiting (or abandoned) job to RUNNING under this worker; None if not claimable.

        ``delivery`` (when the queue knows it) goes on the ``started`` event, for slot-idle accounting.
        """
        job = await self._leases.claim(job_id, worker_id=self._worker_id, ttl=self._ttl)
        if job is not None:
            data: dict[str, Any] = {"attempt": job.attempt_count}
            if delivery is not None:
                data.update(delivery.as_data())
            await self._event(job.id, "started", to_status=JobStatus.RUNNING, data=data)
        return job

    async def renew(self, job_id: uuid.UUID) -> LeaseState:
        return await self._leases.renew(job_id, worker_id=self._worker_id, ttl=self._ttl)

    async def checkpoint(self, job_id: uuid.UUID, *, cursor: str | None, progress: dict[str, int]) -> bool:
        """Record where the import stands (with the page's writes); False if the lease is gone."""
        counters = {name: progress.get(name, 0) for name in COUNTERS}
        return await self._leases.update_held(
            job_id,
            worker_id=self._worker_id,
            checkpoint={"cursor": cursor, "progress": progress},
            heartbeat_at=sa.func.now(),
            lease_expires_at=sa.func.now() + self._ttl,
            **counters,
        )

    async def note(self, job_id: uuid.UUID, kind: str, *, message: str | None = None, data: dict[str, Any]) -> None:
        await self._event(job_id, kind, message=message, data=data)

    async def complete(self, job: ImportJob, progress: dict[str, int]) -> ImportJob:
        return await self._settle(
            job, JobStatus.COMPLETED, "completed", data=progress, finished_at=sa.func.now(), last_error=None
        )

    async def fail(self, job: ImportJob, reason: str) -> ImportJob:
        return await self._settle(
            job, JobStatus.FAILED, "failed", message=reason, finished_at=sa.func.now(), last_error=reason
        )

    async def retry_later(self, job: ImportJob, reason: str, delay_s: float) -> ImportJob:
        data = {"attempt": job.attempt_count, "delay_s": delay_s}
        return await self._settle(
            job,
            JobStatus.QUEUED,
            "retry_scheduled",
            message=reason,
            data=data,
            last_error=reason,
            queued_at=sa.func.now(),
        )

    async def hand_back(
        self, job: ImportJob, reason: str, *, refund_attempt: bool, delay_s: float | None = None
    ) -> ImportJob:
        """Return a job to the queue from its checkpoint (drain, deferral); a deferral costs no attempt.

        ``delay_s`` (a deferral's) goes on the timeline: until then the job is not waiting for a slot.
        """
        attempts = ImportJob.attempt_count - 1 if refund_attempt else ImportJob.attempt_count
        return await self._settle(
            job,
            JobStatus.QUEUED,
            "handed_back",
            message=reason,
            data={"delay_s": delay_s} if delay_s is not None else None,
            attempt_count=attempts,
            queued_at=sa.func.now(),
        )

    async def cancel(self, job: ImportJob) -> ImportJob:
        return await self._settle(job, JobStatus.CANCELLED, "cancelled", finished_at=sa.func.now())

    async def _settle(
        self,
        job: ImportJob,
        to: JobStatus,
        kind: str,
        *,
        message: str | None = None,
        data: dict[str, Any] | None = None,
        **values: Any,
    ) -> ImportJob:
        """Leave RUNNING, fenced on the lease, and record the move on the timeline."""
        settled = await self._leases.release(job.id, worker_id=self._worker_id, to=to, **values)
        if settled is None:
            raise LeaseLost(job.id)
        if to in TERMINAL_STATUSES:  # a retry or hand-back resumes and still needs what it saw
            await self._removals.forget_seen(job.id)
        await self._event(job.id, kind, from_status=JobStatus.RUNNING, to_status=to, message=message, data=data)
        return settled

    async def _event(
        self,
        job_id: uuid.UUID,
        kind: str,
        *,
        from_status: JobStatus | None = None,
        to_status: JobStatus | None = None,
        message: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        await self._jobs.add_event(
            job_id,
            kind=kind,
            actor=self._worker_id,
            from_status=from_status,
            to_status=to_status,
            message=message,
            data=data,
        )
