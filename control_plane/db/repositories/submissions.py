"""The submit path's SQL, one round trip per step: what a submission is decided on, and the writes.

A submission is read in one query (the integration in the caller's scope, its
company's tier, the job an Idempotency-Key already names, the company's
active imports and stored bytes), and each state a job enters is written
together with its timeline event in one statement (a data-modifying CTE), so
the row and its event can never be apart.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.dml import Insert, Update

from control_plane.db.job_moves import note_moved
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
    """The statements are built once (bound parameters only): building a CTE proxies every job column."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def context(
        self, integration_id: uuid.UUID, *, company_scope: uuid.UUID | None, idempotency_key: str | None
    ) -> SubmissionContext | None:
        """The submission's facts, or None when no integration with this id is in the scope."""
        query = _context_query(keyed=idempotency_key is not None, scoped=company_scope is not None)
        params = {"integration_id": integration_id, "company_scope": company_scope, "key": idempotency_key}
        row = (await self._session.execute(query, params)).one_or_none()
        if row is None:
            return None
        integration, tier, replayed, active_imports, stored_bytes = row
        return SubmissionContext(integration, tier, replayed, int(active_imports), int(stored_bytes))

    async def add(self, values: dict[str, Any], created: EventRecord) -> ImportJob:
        """Insert the job row (``values`` has every column of :data:`NEW_JOB_COLUMNS`) and its first event."""
        job = await self._with_event(_ADD_JOB, values, created)
        assert job is not None  # an insert that did not raise returned its row
        return job

    async def mark_queued(self, job_id: uuid.UUID, *, queued_at: datetime, event: EventRecord) -> ImportJob | None:
        """PENDING → QUEUED with its event; None (and no event) when the job was no longer PENDING."""
        return await self._with_event(_MARK_QUEUED, {"job_id": job_id, "queued_at": queued_at}, event)

    async def _with_event(
        self, statement: sa.Select[Any], values: dict[str, Any], record: EventRecord
    ) -> ImportJob | None:
        params = {
            **values,
            "event_kind": record.kind,
            "event_actor": record.actor,
            "event_from": record.from_status.value if record.from_status else None,
            "event_to": record.to_status.value if record.to_status else None,
            "event_message": record.message,
            "event_data": record.data or {},
        }
        job: ImportJob | None = (await self._session.execute(statement, params)).scalar_one_or_none()
        if job is not None and record.to_status is not None:
            note_moved(self._session, job.id)  # announced after the commit, like every other status move
        return job


NEW_JOB_COLUMNS = (
    "id",
    "company_id",
    "integration_id",
    "provider",
    "tier",
    "status",
    "options",
    "checkpoint",
    "max_attempts",
    "correlation_id",
    "idempotency_key",
    "request_fingerprint",
)
_JOBS = ImportJob.__table__
_EVENT_COLUMNS = ("job_id", "kind", "actor", "from_status", "to_status", "message", "data")


@functools.cache
def _context_query(*, keyed: bool, scoped: bool) -> sa.Select[Any]:
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
    same_key = replay.idempotency_key == sa.bindparam("key", type_=sa.String) if keyed else sa.false()
    query = (
        sa.select(Integration, Company.tier, replay, active, sa.func.coalesce(stored, 0))
        .join(Company, Company.id == Integration.company_id)
        .outerjoin(replay, sa.and_(replay.company_id == Integration.company_id, same_key))
        .where(Integration.id == sa.bindparam("integration_id", type_=Integration.__table__.c.id.type))
    )
    if scoped:
        query = query.where(Integration.company_id == sa.bindparam("company_scope", type_=_JOBS.c.company_id.type))
    return query


def _with_event_query(change: Insert | Update) -> sa.Select[Any]:
    """``change`` on one job row, an event for each row it returns, and the row as an entity."""
    changed = change.returning(*_JOBS.c).cte("changed")
    event = sa.insert(JobEvent).from_select(
        _EVENT_COLUMNS,
        sa.select(
            changed.c.id,
            sa.bindparam("event_kind", type_=sa.String),
            sa.bindparam("event_actor", type_=sa.String),
            sa.bindparam("event_from", type_=sa.String),
            sa.bindparam("event_to", type_=sa.String),
            sa.bindparam("event_message", type_=sa.Text),
            sa.bindparam("event_data", type_=JobEvent.__table__.c.data.type),
        ),
    )
    return sa.select(aliased(ImportJob, changed)).add_cte(event.cte("event")).execution_options(populate_existing=True)


_ADD_JOB = _with_event_query(
    sa.insert(ImportJob).values({name: sa.bindparam(name, type_=_JOBS.c[name].type) for name in NEW_JOB_COLUMNS})
)
_MARK_QUEUED = _with_event_query(
    sa.update(ImportJob)
    .where(ImportJob.id == sa.bindparam("job_id", type_=_JOBS.c.id.type), ImportJob.status == JobStatus.PENDING)
    .values(status=JobStatus.QUEUED, queued_at=sa.bindparam("queued_at", type_=_JOBS.c.queued_at.type))
)
