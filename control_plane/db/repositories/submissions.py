"""The submit path's SQL, one round trip per step: what a submission is decided on, and the writes.

A submission is read in one query (the integration in the caller's scope, its
company's tier, the job an Idempotency-Key already names, the company's
active imports and stored bytes), and each state a job enters is written
together with its timeline event in one statement (a data-modifying CTE), so
the row and its event can never be apart.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.dml import Insert, Update

from control_plane.db.models import Company, ImportJob, Integration, JobEvent, StorageUsage
from control_plane.db.repositories.quotas import ACTIVE
from control_plane.domain.jobs import JobStatus
from control_plane.domain.principals import Tier


@dataclass(frozen=True)
class SubmissionContext:
    """Everything a submission is decided on, read at one moment."""

    integration: Integration
    tier: Tier
    replay: ImportJob | None
    """The job this company's Idempotency-Key already names (None without a key or a match)."""
    active_imports: int
    stored_bytes: int


@dataclass(frozen=True)
class EventRecord:
    """A timeline entry written in the same statement as the job's change."""

    kind: str
    actor: str
    from_status: JobStatus | None = None
    to_status: JobStatus | None = None
    message: str | None = None
    data: dict[str, Any] | None = None


class SubmissionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def context(
        self, integration_id: uuid.UUID, *, company_scope: uuid.UUID | None, idempotency_key: str | None
    ) -> SubmissionContext | None:
        """The submission's facts, or None when no integration with this id is in the scope."""
        replay = aliased(ImportJob, name="replay")
        active = (
            sa.select(sa.func.count())
            .where(ImportJob.company_id == Integration.company_id, ImportJob.status.in_(ACTIVE))
            .correlate(Integration)
            .scalar_subquery()
        )
        stored = (
            sa.select(StorageUsage.bytes_stored)
            .where(StorageUsage.company_id == Integration.company_id)
            .correlate(Integration)
            .scalar_subquery()
        )
        same_key = replay.idempotency_key == idempotency_key if idempotency_key is not None else sa.false()
        query = (
            sa.select(Integration, Company.tier, replay, active, sa.func.coalesce(stored, 0))
            .join(Company, Company.id == Integration.company_id)
            .outerjoin(replay, sa.and_(replay.company_id == Integration.company_id, same_key))
            .where(Integration.id == integration_id)
        )
        if company_scope is not None:
            query = query.where(Integration.company_id == company_scope)
        row = (await self._session.execute(query)).one_or_none()
        if row is None:
            return None
        integration, tier, replayed, active_imports, stored_bytes = row
        return SubmissionContext(integration, tier, replayed, int(active_imports), int(stored_bytes))

    async def add(self, values: dict[str, Any], created: EventRecord) -> ImportJob:
        """Insert the job row and its first event together."""
        job = await self._with_event(sa.insert(ImportJob).values(**values), created)
        assert job is not None  # an insert that did not raise returned its row
        return job

    async def move(
        self,
        job_id: uuid.UUID,
        *,
        allowed_from: Iterable[JobStatus],
        to: JobStatus,
        event: EventRecord,
        **values: Any,
    ) -> ImportJob | None:
        """Change status only from an allowed state, with its event; None (and no event) when not moved."""
        statement = (
            sa.update(ImportJob)
            .where(ImportJob.id == job_id, ImportJob.status.in_(list(allowed_from)))
            .values(status=to, **values)
        )
        return await self._with_event(statement, event)

    async def _with_event(self, change: Insert | Update, record: EventRecord) -> ImportJob | None:
        """Run ``change`` on one job row and insert ``record`` for each row it returns; the row as an entity."""
        changed = change.returning(*ImportJob.__table__.c).cte("changed")
        columns = ("job_id", "kind", "actor", "from_status", "to_status", "message", "data")
        event = sa.insert(JobEvent).from_select(
            columns,
            sa.select(
                changed.c.id,
                sa.literal(record.kind, sa.String),
                sa.literal(record.actor, sa.String),
                sa.literal(record.from_status.value if record.from_status else None, sa.String),
                sa.literal(record.to_status.value if record.to_status else None, sa.String),
                sa.literal(record.message, sa.Text),
                sa.literal(record.data or {}, JobEvent.__table__.c.data.type),
            ),
        )
        query = (
            sa.select(aliased(ImportJob, changed)).add_cte(event.cte("event")).execution_options(populate_existing=True)
        )
        job: ImportJob | None = (await self._session.execute(query)).scalar_one_or_none()
        return job
