"""A running job's lease: who holds it and until when, fenced on every write; all lease SQL is here.

Lease times use the database clock, so workers on different hosts agree on
when a lease has expired.  Workers claim, renew and release their leases; the
reconciler finds expired ones and takes them back.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
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

    async def expired(self, now: datetime, *, limit: int) -> Sequence[ImportJob]:
        """RUNNING jobs whose lease ran out before ``now``, longest-expired first."""
        query = (
            sa.select(ImportJob)
            .where(ImportJob.status == JobStatus.RUNNING, ImportJob.lease_expires_at < now)
            .order_by(ImportJob.lease_expires_at, ImportJob.id)
            .limit(limit)
        )
        result = await self._session.execute(query)
        return result.scalars().all()

    async def release_expired(
        self, job_id: uuid.UUID, *, worker_id: str | None, now: datetime, to: JobStatus, **values: Any
    ) -> ImportJob | None:
        """Take a RUNNING job from ``worker_id`` only if its lease is still expired and still that worker's.

        None when the worker renewed the lease, finished, or another sweep got there first.
        """
        statement = (
            sa.update(ImportJob)
            .where(
                ImportJob.id == job_id,
                ImportJob.status == JobStatus.RUNNING,
                ImportJob.lease_expires_at < now,
                ImportJob.worker_id.is_not_distinct_from(worker_id),
            )
            .values(status=to, worker_id=None, lease_expires_at=None, **values)
            .returning(ImportJob)
            .execution_options(synchronize_session="fetch")
        )
        result = await self._session.execute(statement)
        return result.scalar_one_or_none()

    async def database_now(self) -> datetime:
        """The database clock, which lease deadlines are written in, so hosts' clock skew cannot expire them."""
        return (await self._session.execute(sa.select(sa.func.now()))).scalar_one()

    @staticmethod
    def _held(job_id: uuid.UUID, worker_id: str) -> sa.ColumnElement[bool]:
        return sa.and_(ImportJob.id == job_id, ImportJob.status == JobStatus.RUNNING, ImportJob.worker_id == worker_id)
