"""A running job's lease: who holds it and until when, fenced on every write.

Lease times use the database clock, so workers on different hosts agree on
when a lease has expired.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.db.models import ImportJob
from control_plane.domain.jobs import JobStatus


@dataclass(frozen=True)
class LeaseState:
    held: bool
    cancel_requested: bool


class LeaseRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def claim(self, job_id: uuid.UUID, *, worker_id: str, ttl: timedelta) -> ImportJob | None:
        """Take a waiting job, or a running one whose holder stopped renewing its lease."""
        waiting = ImportJob.status.in_([JobStatus.PENDING, JobStatus.QUEUED])
        abandoned = sa.and_(ImportJob.status == JobStatus.RUNNING, ImportJob.lease_expires_at < sa.func.now())
        statement = (
            sa.update(ImportJob)
            .where(ImportJob.id == job_id, sa.or_(waiting, abandoned))
            .values(
                status=JobStatus.RUNNING,
                worker_id=worker_id,
                started_at=sa.func.now(),
                heartbeat_at=sa.func.now(),
                lease_expires_at=sa.func.now() + ttl,
                attempt_count=ImportJob.attempt_count + 1,
            )
            .returning(ImportJob)
            .execution_options(synchronize_session="fetch")
        )
        return (await self._session.execute(statement)).scalar_one_or_none()

    async def renew(self, job_id: uuid.UUID, *, worker_id: str, ttl: timedelta) -> LeaseState:
        statement = (
            sa.update(ImportJob)
            .where(self._held(job_id, worker_id))
            .values(heartbeat_at=sa.func.now(), lease_expires_at=sa.func.now() + ttl)
            .returning(ImportJob.cancel_requested_at)
        )
        row = (await self._session.execute(statement)).first()
        return LeaseState(held=row is not None, cancel_requested=row is not None and row[0] is not None)

    async def update_held(self, job_id: uuid.UUID, *, worker_id: str, **values: Any) -> bool:
        """Write to the job only while this worker holds it; False means the lease is gone."""
        statement = sa.update(ImportJob).where(self._held(job_id, worker_id)).values(**values).returning(ImportJob.id)
        return (await self._session.execute(statement)).first() is not None

    async def release(self, job_id: uuid.UUID, *, worker_id: str, to: JobStatus, **values: Any) -> ImportJob | None:
        """Leave RUNNING (finished, failed, cancelled, or handed back), dropping the lease."""
        statement = (
            sa.update(ImportJob)
            .where(self._held(job_id, worker_id))
            .values(status=to, lease_expires_at=None, **values)
            .returning(ImportJob)
            .execution_options(synchronize_session="fetch")
        )
        return (await self._session.execute(statement)).scalar_one_or_none()

    async def server_now(self) -> datetime:
        return (await self._session.execute(sa.select(sa.func.now()))).scalar_one()

    @staticmethod
    def _held(job_id: uuid.UUID, worker_id: str) -> sa.ColumnElement[bool]:
        return sa.and_(ImportJob.id == job_id, ImportJob.status == JobStatus.RUNNING, ImportJob.worker_id == worker_id)
