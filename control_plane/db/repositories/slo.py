"""Read-only queries behind the SLIs, over any window [since, until).

They read the append-only timeline (job_events) wherever it can answer, so a
past window gives the same figures later, whatever happened to the job rows
since.  A "run" is a job's request or a manual retry (``retry_requested``) up to
its outcome: the first ``completed``, ``failed`` or ``cancelled`` event after it.
Violations come with up to five job ids, enough to start an investigation.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

_TYPES: dict[str, Any] = {
    "since": sa.DateTime(timezone=True),
    "until": sa.DateTime(timezone=True),
    "threshold": sa.Interval(),
    "orphan_after": sa.Interval(),
    "stall_after": sa.Interval(),
    "max_products": sa.Integer(),
    "permanent": ARRAY(sa.Text()),
    "exhausted": ARRAY(sa.Text()),
}


def _query(*fragments: str) -> sa.TextClause:
    """A statement from constant SQL fragments, its parameters typed so the driver casts them."""
    sql = "\n".join(fragments)
    typed = [sa.bindparam(name, type_=type_) for name, type_ in _TYPES.items() if f":{name}" in sql]
    return sa.text(sql).bindparams(*typed)


_RUNS = """
WITH runs AS (
    SELECT j.id AS job_id, j.requested_at AS started_at
    FROM import_jobs j
    WHERE j.requested_at >= :since AND j.requested_at < :until
    UNION ALL
    SELECT e.job_id, e.at
    FROM job_events e
    WHERE e.kind = 'retry_requested' AND e.at >= :since AND e.at < :until
),
settled AS (
    SELECT r.job_id, r.started_at, o.kind AS outcome, o.at AS settled_at, o.message AS reason,
           COALESCE((o.data ->> 'products_processed')::int + (o.data ->> 'products_failed')::int,
                    j.products_processed + j.products_failed) AS products
    FROM runs r
    JOIN import_jobs j ON j.id = r.job_id
    LEFT JOIN LATERAL (
        SELECT e.kind, e.at, e.message, e.data
        FROM job_events e
        WHERE e.job_id = r.job_id AND e.kind IN ('completed', 'failed', 'cancelled')
          AND e.at >= r.started_at AND e.at < :until
        ORDER BY e.at, e.id
        LIMIT 1
    ) o ON true
)
"""

_LATENCY = _query(
    _RUNS,
    """
SELECT count(*) FILTER (WHERE outcome = 'completed' AND settled_at - started_at < :threshold) AS good,
       count(*) FILTER (WHERE outcome IN ('completed', 'failed')
                        OR (outcome IS NULL AND started_at + :threshold <= :until)) AS total,
       count(*) FILTER (WHERE outcome = 'failed') AS failed,
       count(*) FILTER (WHERE outcome IS NULL AND started_at + :threshold <= :until) AS overdue
FROM settled
WHERE products < :max_products
""",
)

_OUTCOMES = _query(
    _RUNS,
    """
SELECT count(*) FILTER (WHERE outcome = 'completed') AS completed,
       count(*) FILTER (WHERE outcome = 'failed') AS failed,
       count(*) FILTER (WHERE outcome = 'cancelled') AS cancelled,
       count(*) FILTER (WHERE outcome IS NULL) AS unsettled
FROM settled
""",
)

_FAILURES = _query(
    _RUNS,
    """
SELECT failure_class, count(*) AS jobs, (array_agg(job_id ORDER BY started_at, job_id))[1:5] AS examples
FROM (
    SELECT job_id, started_at,
           CASE WHEN EXISTS (SELECT 1 FROM unnest(:permanent) AS p(prefix)
                             WHERE starts_with(COALESCE(reason, ''), p.prefix)) THEN 'permanent'
                WHEN EXISTS (SELECT 1 FROM unnest(:exhausted) AS p(prefix)
                             WHERE starts_with(COALESCE(reason, ''), p.prefix)) THEN 'exhausted'
                ELSE 'unclassified' END AS failure_class
    FROM settled
    WHERE outcome = 'failed'
) classified
GROUP BY failure_class
""",
)

_STATES_AT_UNTIL = _query(
    """
WITH candidates AS (
    SELECT j.id, j.requested_at
    FROM import_jobs j
    WHERE j.requested_at < :until
      AND (j.requested_at >= :since
           OR NOT (j.status IN ('COMPLETED', 'FAILED', 'CANCELLED') AND j.finished_at < :until))
),
states AS (
    SELECT c.id, c.requested_at,
           COALESCE(s.to_status, 'PENDING') AS status_then,
           GREATEST(COALESCE(s.at, c.requested_at), COALESCE(w.at, c.requested_at)) AS waiting_since
    FROM candidates c
    LEFT JOIN LATERAL (
        SELECT e.to_status, e.at FROM job_events e
        WHERE e.job_id = c.id AND e.to_status IS NOT NULL AND e.at < :until
        ORDER BY e.at DESC, e.id DESC
        LIMIT 1
    ) s ON true
    LEFT JOIN LATERAL (
        SELECT max(e.at) AS at FROM job_events e
        WHERE e.job_id = c.id AND e.kind = 'reconcile.requeued' AND e.at < :until
    ) w ON true
),
judged AS (
    SELECT id, requested_at, requested_at >= :since AS in_window,
           status_then NOT IN ('COMPLETED', 'FAILED', 'CANCELLED') AS unfinished,
           status_then IN ('PENDING', 'QUEUED') AS waiting,
           status_then IN ('PENDING', 'QUEUED') AND waiting_since < :until - :orphan_after AS orphaned,
           EXTRACT(EPOCH FROM :until - waiting_since)::float8 AS waited_s
    FROM states
)
SELECT count(*) FILTER (WHERE in_window OR unfinished) AS examined,
       count(*) FILTER (WHERE in_window) AS requested,
       count(*) FILTER (WHERE orphaned) AS orphaned,
       max(waited_s) FILTER (WHERE waiting) AS longest_wait_s,
       (array_agg(id ORDER BY requested_at, id) FILTER (WHERE orphaned))[1:5] AS orphan_examples,
       count(*) FILTER (WHERE in_window AND orphaned) AS orphaned_in_window,
       (array_agg(id ORDER BY requested_at, id) FILTER (WHERE in_window AND orphaned))[1:5]
           AS orphaned_in_window_examples
FROM judged
"""
)

_INCONSISTENT = _query(
    """
SELECT count(*) AS jobs, (array_agg(j.id ORDER BY j.requested_at, j.id))[1:5] AS examples
FROM import_jobs j
JOIN LATERAL (
    SELECT e.data FROM job_events e
    WHERE e.job_id = j.id AND e.kind = 'completed' AND e.at < :until
    ORDER BY e.at DESC, e.id DESC
    LIMIT 1
) c ON true
WHERE j.requested_at >= :since AND j.requested_at < :until AND j.status = 'COMPLETED'
  AND ((c.data ->> 'products_processed')::int IS DISTINCT FROM j.products_processed
       OR (c.data ->> 'products_failed')::int IS DISTINCT FROM j.products_failed
       OR j.checkpoint ->> 'cursor' IS NOT NULL)
"""
)

_DETECTED_STALLS = _query(
    """
SELECT count(*) AS stalls,
       max(COALESCE((e.data ->> 'expired_for_s')::float8,
                    EXTRACT(EPOCH FROM e.at - (e.data ->> 'lease_expires_at')::timestamptz)::float8)) AS worst_s
FROM job_events e
WHERE e.kind = 'reconcile.lease_expired' AND e.at >= :since AND e.at < :until
"""
)

_STALLED_AT_UNTIL = """
WITH stalled AS (
    SELECT j.id AS job_id, j.requested_at, j.lease_expires_at AS lapsed_at
    FROM import_jobs j
    WHERE j.status = 'RUNNING' AND j.lease_expires_at < :until
    UNION ALL
    SELECT e.job_id, j.requested_at, (e.data ->> 'lease_expires_at')::timestamptz
    FROM job_events e
    JOIN import_jobs j ON j.id = e.job_id
    WHERE e.kind = 'reconcile.lease_expired' AND e.at >= :until
      AND (e.data ->> 'lease_expires_at')::timestamptz < :until
)
SELECT count(*) AS stalls, max(EXTRACT(EPOCH FROM :until - lapsed_at)::float8) AS worst_s,
       (array_agg(job_id ORDER BY lapsed_at, job_id))[1:5] AS examples
FROM stalled
"""
"""Jobs RUNNING at ``until`` on a lease that had lapsed and that no sweep had taken back by then: those still
RUNNING on it now (a later claim or renewal would have written a later lease), and those a sweep took back
at or after ``until`` (its ``reconcile.lease_expired`` event names the lapsed lease), so a later sweep leaves
the past window's answer as it was."""

_UNDETECTED_STALLS = _query(_STALLED_AT_UNTIL)

_ABANDONED = _query(
    _STALLED_AT_UNTIL,
    "WHERE requested_at >= :since AND requested_at < :until AND lapsed_at < :until - :stall_after",
)


@dataclass(frozen=True)
class LatencyCounts:
    good: int
    total: int
    failed: int
    overdue: int


@dataclass(frozen=True)
class OutcomeCounts:
    completed: int
    failed: int
    cancelled: int
    unsettled: int


@dataclass(frozen=True)
class FailureClasses:
    permanent: int
    exhausted: int
    unclassified: int
    unclassified_examples: Sequence[uuid.UUID]


@dataclass(frozen=True)
class JobStates:
    """Jobs as they stood at ``until``, reconstructed from the timeline."""

    examined: int
    requested: int
    orphaned: int
    longest_wait_s: float | None
    orphan_examples: Sequence[uuid.UUID]
    orphaned_in_window: int
    """Orphans among the jobs requested in the window."""
    orphaned_in_window_examples: Sequence[uuid.UUID]


@dataclass(frozen=True)
class Stalls:
    count: int
    worst_s: float | None
    examples: Sequence[uuid.UUID] = ()


class SloRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def latency(
        self, since: datetime, until: datetime, *, threshold: timedelta, max_products: int
    ) -> LatencyCounts:
        row = await self._one(_LATENCY, since, until, threshold=threshold, max_products=max_products)
        return LatencyCounts(row.good, row.total, row.failed, row.overdue)

    async def outcomes(self, since: datetime, until: datetime) -> OutcomeCounts:
        row = await self._one(_OUTCOMES, since, until)
        return OutcomeCounts(row.completed, row.failed, row.cancelled, row.unsettled)

    async def failure_classes(
        self, since: datetime, until: datetime, *, permanent: Sequence[str], exhausted: Sequence[str]
    ) -> FailureClasses:
        params = {"since": since, "until": until, "permanent": list(permanent), "exhausted": list(exhausted)}
        rows = (await self._session.execute(_FAILURES, params)).all()
        jobs = {row.failure_class: row.jobs for row in rows}
        examples: list[uuid.UUID] = next((row.examples for row in rows if row.failure_class == "unclassified"), [])
        return FailureClasses(
            jobs.get("permanent", 0), jobs.get("exhausted", 0), jobs.get("unclassified", 0), list(examples)
        )

    async def states_at_until(self, since: datetime, until: datetime, *, orphan_after: timedelta) -> JobStates:
        """Each job's status at ``until`` is the to_status of its last status-changing event before it."""
        row = await self._one(_STATES_AT_UNTIL, since, until, orphan_after=orphan_after)
        return JobStates(
            examined=row.examined,
            requested=row.requested,
            orphaned=row.orphaned,
            longest_wait_s=row.longest_wait_s,
            orphan_examples=list(row.orphan_examples or []),
            orphaned_in_window=row.orphaned_in_window,
            orphaned_in_window_examples=list(row.orphaned_in_window_examples or []),
        )

    async def inconsistent_completions(self, since: datetime, until: datetime) -> tuple[int, list[uuid.UUID]]:
        """COMPLETED jobs whose final counters or cursor disagree with what their completion recorded."""
        row = await self._one(_INCONSISTENT, since, until)
        return row.jobs, list(row.examples or [])

    async def detected_stalls(self, since: datetime, until: datetime) -> Stalls:
        row = await self._one(_DETECTED_STALLS, since, until)
        return Stalls(row.stalls, row.worst_s)

    async def undetected_stalls(self, until: datetime) -> Stalls:
        """Jobs RUNNING at ``until`` on a lapsed lease that no sweep had taken back by then."""
        row = await self._one(_UNDETECTED_STALLS, until, until)
        return Stalls(row.stalls, row.worst_s, list(row.examples or []))

    async def abandoned(self, since: datetime, until: datetime, *, stall_after: timedelta) -> Stalls:
        """Jobs requested in the window, RUNNING at ``until`` on a lease that lapsed ``stall_after`` before it
        and that no sweep had taken back by then (as for :meth:`undetected_stalls`)."""
        row = await self._one(_ABANDONED, since, until, stall_after=stall_after)
        return Stalls(row.stalls, row.worst_s, list(row.examples or []))

    async def database_now(self) -> datetime:
        return (await self._session.execute(sa.select(sa.func.now()))).scalar_one()

    async def _one(self, query: sa.TextClause, since: datetime, until: datetime, **params: Any) -> Any:
        return (await self._session.execute(query, {"since": since, "until": until, **params})).one()
