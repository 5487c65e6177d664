"""Import jobs and their append-only event timeline."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.db.job_moves import note_moved
from control_plane.db.models import ImportJob, JobEvent
from control_plane.domain.jobs import JobStatus
from control_plane.domain.pagination import Keyset
from control_plane.domain.providers import Provider

REENQUEUE_EVENT_KINDS = ("enqueue_failed", "retry_requested")
"""Events after which a PENDING job is waiting for the queue again, restarting its grace period."""


@dataclass(frozen=True)
class JobFilter:
    """What a listing may be narrowed to; ``company_scope`` is the tenant fence."""

    company_scope: uuid.UUID | None
    company_id: uuid.UUID | None = None
    status: JobStatus | None = None
    provider: Provider | None = None


class JobRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, job: ImportJob) -> ImportJob:
        self._session.add(job)
        await self._session.flush()
        return job

    async def get(self, job_id: uuid.UUID, *, company_scope: uuid.UUID | None) -> ImportJob | None:
        query = sa.select(ImportJob).where(ImportJob.id == job_id)
        if company_scope is not None:
            query = query.where(ImportJob.company_id == company_scope)
        result = await self._session.execute(query)
        return result.scalar_one_or_none()

    async def get_for_update(self, job_id: uuid.UUID, *, company_scope: uuid.UUID | None) -> ImportJob | None:
        """Lock the row so concurrent cancels/retries serialise on it."""
        query = sa.select(ImportJob).where(ImportJob.id == job_id).with_for_update()
        if company_scope is not None:
            query = query.where(ImportJob.company_id == company_scope)
        result = await self._session.execute(query)
        return result.scalar_one_or_none()

    async def get_by_idempotency_key(self, company_id: uuid.UUID, key: str) -> ImportJob | None:
        result = await self._session.execute(
            sa.select(ImportJob).where(ImportJob.company_id == company_id, ImportJob.idempotency_key == key)
        )
        return result.scalar_one_or_none()

    async def list(self, filters: JobFilter, *, after: Keyset | None, limit: int) -> Sequence[ImportJob]:
        """Newest first, keyset-paginated on (requested_at, id)."""
        query = sa.select(ImportJob)
        for column, value in (
            (ImportJob.company_id, filters.company_scope),
            (ImportJob.company_id, filters.company_id),
            (ImportJob.status, filters.status),
            (ImportJob.provider, filters.provider),
        ):
            if value is not None:
                query = query.where(column == value)
        if after is not None:
            query = query.where(
                sa.tuple_(ImportJob.requested_at, ImportJob.id)
                < sa.tuple_(sa.literal(after.created_at), sa.literal(after.id))
            )
        query = query.order_by(ImportJob.requested_at.desc(), ImportJob.id.desc()).limit(limit)
        result = await self._session.execute(query)
        return result.scalars().all()

    async def add_event(
        self,
        job_id: uuid.UUID,
        *,
        kind: str,
        actor: str,
        from_status: JobStatus | None = None,
        to_status: JobStatus | None = None,
        message: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        """Append to the timeline; an event with a ``to_status`` records a status move, announced after commit."""
        if to_status is not None:
            note_moved(self._session, job_id)
        self._session.add(
            JobEvent(
                job_id=job_id,
                kind=kind,
                actor=actor,
                from_status=from_status.value if from_status else None,
                to_status=to_status.value if to_status else None,
                message=message,
                data=data or {},
            )
        )
        await self._session.flush()

    async def events(self, job_id: uuid.UUID, *, company_scope: uuid.UUID | None) -> Sequence[JobEvent]:
        """The job's timeline; empty when the scope (None = any company) may not see the job."""
        query = sa.select(JobEvent).where(JobEvent.job_id == job_id)
        if company_scope is not None:
            query = query.join(ImportJob, ImportJob.id == JobEvent.job_id).where(ImportJob.company_id == company_scope)
        result = await self._session.execute(query.order_by(JobEvent.id))
        return result.scalars().all()

    async def stale_pending(self, cutoff: datetime, *, after: Keyset | None, limit: int) -> Sequence[ImportJob]:
        """PENDING jobs waiting since before ``cutoff``, oldest first (keyset on requested_at, id).

        A job waits since it was requested or since its last failed enqueue or retry, whichever is later.
        """
        last_wait = (
            sa.select(sa.func.max(JobEvent.at))
            .where(JobEvent.job_id == ImportJob.id, JobEvent.kind.in_(REENQUEUE_EVENT_KINDS))
            .scalar_subquery()
        )
        waiting_since = sa.func.greatest(ImportJob.requested_at, sa.func.coalesce(last_wait, ImportJob.requested_at))
        return await self._oldest(JobStatus.PENDING, waiting_since < cutoff, after=after, limit=limit)

    async def stale_queued(self, cutoff: datetime, *, after: Keyset | None, limit: int) -> Sequence[ImportJob]:
        """QUEUED jobs queued before ``cutoff``, oldest first (keyset on requested_at, id)."""
        queued_since = sa.func.coalesce(ImportJob.queued_at, ImportJob.requested_at)
        return await self._oldest(JobStatus.QUEUED, queued_since < cutoff, after=after, limit=limit)

    async def _oldest(
        self, status: JobStatus, condition: sa.ColumnElement[bool], *, after: Keyset | None, limit: int
    ) -> Sequence[ImportJob]:
        query = sa.select(ImportJob).where(ImportJob.status == status, condition)
        if after is not None:
            query = query.where(
                sa.tuple_(ImportJob.requested_at, ImportJob.id)
                > sa.tuple_(sa.literal(after.created_at), sa.literal(after.id))
            )
        query = query.order_by(ImportJob.requested_at, ImportJob.id).limit(limit)
        result = await self._session.execute(query)
        return result.scalars().all()
