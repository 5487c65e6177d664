"""Aggregates over jobs and their timeline for metrics and alarms: read-only, one query each.

Counts of starts and outcomes come from the append-only timeline, so the
all-time figures only grow (true Prometheus counters) even when a failed job
is retried.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.db.models import ImportJob, JobEvent
from control_plane.domain.jobs import JobStatus
from control_plane.domain.ops import DURATION_BUCKETS_S, Durations, JobCounts

_OUTCOMES = {"started": JobStatus.RUNNING, "completed": JobStatus.COMPLETED, "failed": JobStatus.FAILED}
_WAITING = (JobStatus.PENDING, JobStatus.QUEUED)


class OpsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def now(self) -> datetime:
        return (await self._session.execute(sa.select(sa.func.now()))).scalar_one()

    async def status_counts(self) -> Mapping[JobStatus, int]:
        result = await self._session.execute(sa.select(ImportJob.status, sa.func.count()).group_by(ImportJob.status))
        return {JobStatus(status): count for status, count in result.all()}

    async def oldest_waiting_since(self) -> datetime | None:
        """When the longest-waiting PENDING or QUEUED job started waiting."""
        since = sa.func.min(sa.func.coalesce(ImportJob.queued_at, ImportJob.requested_at))
        return (await self._session.execute(sa.select(since).where(ImportJob.status.in_(_WAITING)))).scalar_one()

    async def job_counts(self, since: datetime | None) -> JobCounts:
        """Starts, completions and failures recorded on the timeline (since ``since``, or ever)."""
        columns = [
            sa.func.count().filter(JobEvent.to_status == status.value).label(name) for name, status in _OUTCOMES.items()
        ]
        query = sa.select(*columns).where(JobEvent.to_status.in_([s.value for s in _OUTCOMES.values()]))
        if since is not None:
            query = query.where(JobEvent.at >= since)
        row = (await self._session.execute(query)).one()
        return JobCounts(started=row.started, completed=row.completed, failed=row.failed)

    async def durations(self, since: datetime) -> Durations:
        """Run time of jobs that COMPLETED or FAILED since ``since``, as cumulative histogram buckets."""
        seconds = sa.func.extract("epoch", ImportJob.finished_at - ImportJob.started_at)
        columns = [sa.func.count().filter(seconds <= bound) for bound in DURATION_BUCKETS_S]
        query = sa.select(*columns, sa.func.count(), sa.func.coalesce(sa.func.sum(seconds), 0)).where(
            ImportJob.status.in_([JobStatus.COMPLETED, JobStatus.FAILED]),
            ImportJob.started_at.is_not(None),
            ImportJob.finished_at >= since,
        )
        row = (await self._session.execute(query)).one()
        return Durations(cumulative=tuple(int(v) for v in row[:-1]), sum_s=float(row[-1]))

    async def running_jobs(self, limit: int = 1000) -> Sequence[ImportJob]:
        """RUNNING jobs, oldest start first: what each worker holds."""
        query = (
            sa.select(ImportJob)
            .where(ImportJob.status == JobStatus.RUNNING)
            .order_by(ImportJob.started_at.asc().nulls_last(), ImportJob.id)
            .limit(limit)
        )
        return (await self._session.execute(query)).scalars().all()

    async def reconcile_actions(self) -> Mapping[str, int]:
        """How often each reconciliation action (``reconcile.*`` events) has happened."""
        query = (
            sa.select(JobEvent.kind, sa.func.count()).where(JobEvent.kind.like("reconcile.%")).group_by(JobEvent.kind)
        )
        return {kind.removeprefix("reconcile."): count for kind, count in (await self._session.execute(query)).all()}


def window_start(now: datetime, window_s: int) -> datetime:
    return now - timedelta(seconds=window_s)
