"""Operator controls: pause and resume, mass retry of dead jobs, recent jobs and the audit trail.

Every action is written to ``ops_actions`` in the caller's transaction (the
handler commits).  A pause takes effect in Redis first, so it holds even if
the audit write then fails (e.g. an emergency pause while the database is
struggling); workers read it before claiming any job.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.db.models import ImportJob, OpsAction
from control_plane.db.repositories import CompanyRepository, JobRepository
from control_plane.db.repositories.jobs import JobFilter
from control_plane.db.repositories.ops_actions import OpsActionRepository
from control_plane.domain.errors import NotFound
from control_plane.domain.jobs import JobStatus
from control_plane.domain.pausing import Pause, PauseScope, PauseTarget
from control_plane.domain.principals import Principal, Role
from control_plane.domain.providers import Provider
from control_plane.domain.queueing import queue_entry
from control_plane.integrations.metrics.presence import WorkerPresence
from control_plane.integrations.redis_state.ops_state import RedisOpsState
from control_plane.services.imports import ImportService
from control_plane.services.ports import WorkQueue

BATCH_LIMIT = 1000
"""Most jobs one resume or retry-dead call touches; call again for the rest."""

AUTO_PAUSE_TRIGGERS = (
    "queue depth above overload_at for several alarm intervals",
    "success rate below success_rate_floor",
    "provider error rate above provider_error_ceiling (pause that provider)",
    "fewer live workers than min_workers",
)
"""Conditions the alarm evaluator may answer with :func:`auto_pause` (documented, wired by the alarms)."""


@dataclass(frozen=True)
class Resumed:
    was_paused: bool
    requeued: int


class OpsService:
    """Operator-only: the constructor refuses any other role."""

    def __init__(self, session: AsyncSession, state: RedisOpsState, *, actor: Principal) -> None:
        actor.ensure_operator()
        self._session = session
        self._state = state
        self._actor = actor
        self._ops = OpsActionRepository(session)

    async def pause(self, scope: str, target: str | None, reason: str) -> Pause:
        where = await self._target(scope, target)
        pause = await self._state.pause(where, reason=reason, actor=self._actor.subject)
        await self._audit("pause", where.key, {"reason": reason})
        return pause

    async def resume(self, scope: str, target: str | None, reason: str, queue: WorkQueue) -> Resumed:
        """Lift the pause and bring the scope's waiting jobs forward (paused ones were deferred)."""
        where = await self._target(scope, target)
        was_paused = await self._state.resume(where)
        requeued = await self._requeue_waiting(where, queue)
        await self._audit("resume", where.key, {"reason": reason, "was_paused": was_paused, "requeued": requeued})
        return Resumed(was_paused, requeued)

    async def drain_worker(self, worker_id: str, reason: str, workers: WorkerPresence) -> None:
        """Ask one live worker to finish or hand back its jobs and exit; its supervisor replaces it."""
        if not await workers.request_drain(worker_id, f"{self._actor.subject}: {reason}"):
            raise NotFound("no live worker with this id")
        await self._audit("drain_worker", f"worker:{worker_id}", {"reason": reason})

    async def reset_dead(self, company_id: uuid.UUID | None, provider: Provider | None) -> list[ImportJob]:
        """Put FAILED jobs of a company and/or provider back to PENDING; commit, then :meth:`enqueue_all`."""
        ids = await self._ops.job_ids([JobStatus.FAILED], company_id=company_id, provider=provider, limit=BATCH_LIMIT)
        imports = ImportService(self._session, actor=self._actor)
        jobs = [await imports.retry(job_id) for job_id in ids]
        scope = {"company_id": str(company_id) if company_id else None, "provider": provider}
        await self._audit("retry_dead", None, {**scope, "count": len(jobs)})
        return jobs

    async def enqueue_all(self, jobs: Sequence[ImportJob], queue: WorkQueue) -> int:
        """Enqueue committed PENDING jobs; those the queue cannot take now are left to the reconciler."""
        imports = ImportService(self._session, actor=self._actor)
        return sum([(await imports.file(job, queue)).enqueued for job in jobs])

    async def recent_jobs(self, limit: int) -> Sequence[ImportJob]:
        return await JobRepository(self._session).list(JobFilter(company_scope=None), after=None, limit=limit)

    async def actions(self, limit: int) -> Sequence[OpsAction]:
        return await self._ops.actions(limit=limit)

    async def pauses(self) -> list[Pause]:
        return await self._state.pauses()

    async def _target(self, scope: str, target: str | None) -> PauseTarget:
        where = PauseTarget.parse(scope, target)
        company = uuid.UUID(where.target) if where.scope is PauseScope.COMPANY and where.target else None
        if company is not None and await CompanyRepository(self._session).get(company) is None:
            raise NotFound("company not found")
        return where

    async def _requeue_waiting(self, where: PauseTarget, queue: WorkQueue) -> int:
        company = uuid.UUID(where.target) if where.scope is PauseScope.COMPANY and where.target else None
        provider = Provider(where.target) if where.scope is PauseScope.PROVIDER and where.target else None
        waiting = [JobStatus.PENDING, JobStatus.QUEUED]
        ids = await self._ops.job_ids(waiting, company_id=company, provider=provider, limit=BATCH_LIMIT)
        jobs = JobRepository(self._session)
        imports = ImportService(self._session, actor=self._actor)
        count = 0
        for job_id in ids:
            job = await jobs.get(job_id, company_scope=None)
            if job is None or job.status not in waiting:
                continue
            if job.status is JobStatus.PENDING:
                count += (await imports.file(job, queue)).enqueued
            else:
                await queue.file(queue_entry(job))
                count += 1
        return count

    async def _audit(self, action: str, scope: str | None, details: dict[str, object]) -> None:
        await self._ops.record(actor=self._actor.subject, action=action, scope=scope, details=details)


async def auto_pause(
    session: AsyncSession,
    state: RedisOpsState,
    *,
    reason: str,
    scope: str = "queue",
    target: str | None = None,
    actor: str = "auto",
) -> Pause:
    """Emergency hook for automatic triggers (see :data:`AUTO_PAUSE_TRIGGERS`); the caller commits.

    The pause is in force once this returns, even if committing the audit row later fails.
    """
    principal = Principal(subject=actor, role=Role.OPERATOR, company_id=None)
    return await OpsService(session, state, actor=principal).pause(scope, target, reason)
