"""Read-only queries behind the dashboard: figures over time, job search across companies, the company list.

History is reconstructed from the job store's timestamps, so it needs no
sampler and agrees with the jobs table; a retried job counts from its latest
attempt only (its earlier start is overwritten).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.db.models import Company, ImportJob
from control_plane.domain.jobs import JobStatus
from control_plane.domain.principals import Tier
from control_plane.domain.providers import Provider

_HISTORY = sa.text(
    """
WITH b AS (
    SELECT s AS start, s + make_interval(secs => :step) AS stop FROM unnest(CAST(:starts AS timestamptz[])) AS s
), j AS (
    SELECT status, coalesce(queued_at, requested_at) AS waiting_from, started_at, finished_at,
           extract(epoch FROM finished_at - started_at) AS run_s
    FROM import_jobs
    WHERE requested_at < :until AND (finished_at IS NULL OR finished_at >= :since)
        AND (CAST(:company AS uuid) IS NULL OR company_id = CAST(:company AS uuid))
)
SELECT b.start,
    count(j.status) FILTER (WHERE j.waiting_from <= b.stop AND (j.started_at IS NULL OR j.started_at > b.stop)
                            AND (j.finished_at IS NULL OR j.finished_at > b.stop)) AS waiting,
    count(j.status) FILTER (WHERE j.started_at <= b.stop AND (j.finished_at IS NULL OR j.finished_at > b.stop))
        AS active,
    count(j.status) FILTER (WHERE j.status = 'FAILED' AND j.finished_at < b.stop) AS dead,
    count(j.status) FILTER (WHERE j.status = 'COMPLETED' AND j.finished_at >= b.start AND j.finished_at < b.stop)
        AS completed,
    count(j.status) FILTER (WHERE j.status = 'FAILED' AND j.finished_at >= b.start AND j.finished_at < b.stop)
        AS failed,
    percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY j.run_s)
        FILTER (WHERE j.status IN ('COMPLETED', 'FAILED') AND j.finished_at >= b.start AND j.finished_at < b.stop)
        AS run_s
FROM b LEFT JOIN j ON true
GROUP BY b.start ORDER BY b.start
"""
)


@dataclass(frozen=True)
class HistoryPoint:
    """One bucket: queue states at its end, outcomes and run-time percentiles within it."""

    start: datetime
    waiting: int
    active: int
    dead: int
    completed: int
    failed: int
    duration_s: tuple[float, float, float] | None
    """p50, p95, p99 of the run time of jobs finished in the bucket; None when none finished."""


@dataclass(frozen=True)
class JobSearch:
    """Filters of the operators' job search; ``company_scope`` is the tenant fence."""

    company_scope: uuid.UUID | None
    status: JobStatus | None = None
    provider: Provider | None = None
    tier: Tier | None = None
    company_id: uuid.UUID | None = None
    text: str | None = None
    """Matches a company's name or slug (case-insensitive) or the start of a job id."""


class OpsHistoryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def now(self) -> datetime:
        return (await self._session.execute(sa.select(sa.func.now()))).scalar_one()

    async def history(
        self, starts: Sequence[datetime], step_s: int, until: datetime, *, company_scope: uuid.UUID | None
    ) -> list[HistoryPoint]:
        """One point per bucket start; the buckets are ``step_s`` long and end by ``until``."""
        params: dict[str, Any] = {
            "starts": list(starts),
            "step": step_s,
            "since": starts[0],
            "until": until,
            "company": str(company_scope) if company_scope else None,
        }
        rows = (await self._session.execute(_HISTORY, params)).all()
        return [
            HistoryPoint(
                row.start,
                row.waiting,
                row.active,
                row.dead,
                row.completed,
                row.failed,
                (float(row.run_s[0]), float(row.run_s[1]), float(row.run_s[2])) if row.run_s else None,
            )
            for row in rows
        ]

    async def search_jobs(self, search: JobSearch, limit: int) -> Sequence[tuple[ImportJob, Company]]:
        """Newest first, with each job's company."""
        query = sa.select(ImportJob, Company).join(Company, Company.id == ImportJob.company_id)
        if search.company_scope is not None:
            query = query.where(ImportJob.company_id == search.company_scope)
        if search.company_id is not None:
            query = query.where(ImportJob.company_id == search.company_id)
        if search.status is not None:
            query = query.where(ImportJob.status == search.status)
        if search.provider is not None:
            query = query.where(ImportJob.provider == search.provider)
        if search.tier is not None:
            query = query.where(ImportJob.tier == search.tier)
        if search.text:
            query = query.where(
                sa.or_(
                    Company.name.icontains(search.text, autoescape=True),
                    Company.slug.icontains(search.text, autoescape=True),
                    sa.cast(ImportJob.id, sa.String).startswith(search.text.lower(), autoescape=True),
                )
            )
        query = query.order_by(ImportJob.requested_at.desc(), ImportJob.id.desc()).limit(limit)
        return [(row[0], row[1]) for row in (await self._session.execute(query)).all()]

    async def companies(self, *, company_scope: uuid.UUID | None, limit: int) -> Sequence[Company]:
        query = sa.select(Company).order_by(Company.name, Company.id).limit(limit)
        if company_scope is not None:
            query = query.where(Company.id == company_scope)
        return (await self._session.execute(query)).scalars().all()
