"""Reconciliation: make the volatile queue agree with PostgreSQL again.

Redis may lose jobs (a crash, a flush, an outage during submission) and
workers may die holding a job.  PostgreSQL knows what should be waiting or
running, so a periodic pass puts every orphan back in line and writes why on
the job's timeline.  Each action is safe to race with the API, workers and
another pass: PostgreSQL moves are conditional and the queue writes idempotent.
No transaction waits on Redis: the edge's ``end_transaction`` commits what is
done before every queue call, so a slow or absent Redis never holds row locks.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from contextlib import aclosing
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.db.models import ImportJob
from control_plane.db.repositories import JobRepository
from control_plane.db.repositories.leases import LeaseRepository
from control_plane.db.repositories.submissions import EventRecord, SubmissionRepository
from control_plane.domain.errors import DependencyUnavailable
from control_plane.domain.jobs import TERMINAL_STATUSES, JobStatus
from control_plane.domain.pagination import Keyset
from control_plane.domain.queueing import QueueState, queue_entry
from control_plane.services.ports import WorkQueue

DEFAULT_ACTOR = "reconciler"
T = TypeVar("T")


@dataclass
class ReconcileReport:
    """What one pass did; all zeros means PostgreSQL and the queue already agreed."""

    enqueued: int = 0
    """PENDING jobs missing from the queue, now enqueued and QUEUED."""
    requeued: int = 0
    """QUEUED jobs the queue had lost, put back in line."""
    leases_expired: int = 0
    """RUNNING jobs whose worker stopped renewing its lease, handed back to the queue."""
    arq_discarded: int = 0
    """Finished jobs whose arq entry a worker left behind (it lost Redis as the job ended), removed."""
    redis_unavailable: bool = False
    """The queue could not be reached; the pass stopped and the next one retries."""

    def as_dict(self) -> dict[str, int | bool]:
        return asdict(self)


class _RedisAway(Exception):
    """Internal: stop the pass, the queue is unreachable."""


class _Candidates(Protocol):
    def __call__(self, cutoff: datetime, *, after: Keyset | None, limit: int) -> Awaitable[Sequence[ImportJob]]: ...


@dataclass(frozen=True)
class _Lease:
    """A RUNNING job's lease as the sweep found it, for the timeline."""

    worker_id: str | None
    expires_at: datetime
    heartbeat_at: datetime | None

    @classmethod
    def of(cls, job: ImportJob) -> _Lease:
        assert job.lease_expires_at is not None  # selected on an expired lease
        return cls(job.worker_id, job.lease_expires_at, job.heartbeat_at)

    def describe(self, now: datetime) -> dict[str, Any]:
        return {
            "previous_worker": self.worker_id,
            "lease_expires_at": self.expires_at.isoformat(),
            "expired_for_s": round((now - self.expires_at).total_seconds(), 3),
            "last_heartbeat_at": self.heartbeat_at.isoformat() if self.heartbeat_at else None,
        }


_Step = Callable[[datetime, ReconcileReport], Awaitable[None]]


class Reconciler:
    def __init__(
        self,
        session: AsyncSession,
        queue: WorkQueue,
        *,
        end_transaction: Callable[[], Awaitable[None]],
        actor: str = DEFAULT_ACTOR,
        pending_grace_s: float,
        batch_size: int = 500,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self._session = session
        self._jobs = JobRepository(session)
        self._submissions = SubmissionRepository(session)
        self._leases = LeaseRepository(session)
        self._queue = queue
        self._end_transaction = end_transaction
        self._actor = actor
        self._grace = timedelta(seconds=pending_grace_s)
        self._batch = batch_size

    async def full_pass(self, now: datetime | None = None) -> ReconcileReport:
        """Expired leases, arq leftovers of finished jobs, QUEUED jobs the queue lost, PENDING jobs never enqueued.

        ``now`` defaults to the database clock, the one lease deadlines are written in.
        """
        steps = (self._expire_leases, self._discard_finished, self._requeue_lost, self._enqueue_pending)
        return await self._run(now, steps)

    async def sweep_leases(self, now: datetime | None = None) -> ReconcileReport:
        """Expired leases and arq leftovers: cheap enough to run every few seconds, so work resumes fast.

        Leftovers count as busy worker slots for the feeder, so after a Redis outage they must go
        within seconds, not at the next full pass.
        """
        return await self._run(now, (self._expire_leases, self._discard_finished))

    async def _run(self, now: datetime | None, steps: Sequence[_Step]) -> ReconcileReport:
        report = ReconcileReport()
        if now is None:
            now = await self._leases.database_now()
        try:
            await self._redis(self._queue.ping())
            for step in steps:
                await step(now, report)
        except _RedisAway:
            report.redis_unavailable = True
        return report

    async def _redis(self, call: Awaitable[T]) -> T:
        """Commit what is done, then the queue call (``call`` is a coroutine not started yet)."""
        await self._end_transaction()
        try:
            return await call
        except DependencyUnavailable as exc:
            raise _RedisAway from exc

    async def _expire_leases(self, now: datetime, report: ReconcileReport) -> None:
        for job in await self._leases.expired(now, limit=self._batch):
            if await self._hand_back(job, now):
                report.leases_expired += 1

    async def _hand_back(self, job: ImportJob, now: datetime) -> bool:
        """Back in its line first, then RUNNING → QUEUED.

        A worker may take the entry before the move: the claim accepts a RUNNING
        job whose lease lapsed, and the move then finds nothing to do. If the queue
        is away, the job stays RUNNING with its lapsed lease and the next sweep tries again.
        """
        lease = _Lease.of(job)  # the update below refreshes ``job`` in place, clearing the worker
        outcome = await self._redis(self._queue.file(queue_entry(job, resumed=True)))
        moved = await self._leases.release_expired(
            job.id, worker_id=lease.worker_id, now=now, to=JobStatus.QUEUED, queued_at=now
        )
        if moved is None:  # renewed, finished, claimed meanwhile or already swept
            return False
        await self._jobs.add_event(
            job.id,
            kind="reconcile.lease_expired",
            actor=self._actor,
            from_status=JobStatus.RUNNING,
            to_status=JobStatus.QUEUED,
            message=f"lease of worker {lease.worker_id} expired; the job goes back to the head of its line",
            data={**lease.describe(now), "queue": outcome},
        )
        return True

    async def _discard_finished(self, now: datetime, report: ReconcileReport) -> None:
        """arq entries older than the grace whose job PostgreSQL holds as finished: a dead worker's leftovers."""
        grace_s = self._grace.total_seconds()
        for job_id in await self._redis(self._queue.arq_entries_older_than(grace_s, limit=self._batch)):
            job = await self._jobs.get(job_id, company_scope=None)
            if job is not None and job.status in TERMINAL_STATUSES:
                await self._redis(self._queue.discard_from_arq(job_id))
                report.arq_discarded += 1

    async def _requeue_lost(self, now: datetime, report: ReconcileReport) -> None:
        async with aclosing(self._lost(self._jobs.stale_queued, now)) as lost:
            async for job, state in lost:
                await self._requeue(job, state)
                report.requeued += 1

    async def _requeue(self, job: ImportJob, state: QueueState) -> None:
        outcome = await self._redis(self._queue.file(queue_entry(job)))
        await self._jobs.add_event(
            job.id,
            kind="reconcile.requeued",
            actor=self._actor,
            message="the queue had lost this job (or a gone worker's marker blocked it); it was put back in line",
            data={"queue": outcome, "found": state.as_dict()},
        )

    async def _enqueue_pending(self, now: datetime, report: ReconcileReport) -> None:
        async with aclosing(self._lost(self._jobs.stale_pending, now)) as lost:
            async for job, state in lost:
                if report.enqueued >= self._batch:
                    return
                if await self._enqueue(job, state, now):
                    report.enqueued += 1

    async def _enqueue(self, job: ImportJob, state: QueueState, now: datetime) -> bool:
        """Queue first, then PENDING → QUEUED: a worker may claim from either state meanwhile."""
        outcome = await self._redis(self._queue.file(queue_entry(job)))
        enqueued = EventRecord(
            "reconcile.enqueued",
            actor=self._actor,
            from_status=JobStatus.PENDING,
            to_status=JobStatus.QUEUED,
            message="the job was never queued (or the queue lost it); it is queued now",
            data={"queue": outcome, "found": state.as_dict()},
        )
        moved = await self._submissions.mark_queued(job.id, queued_at=now, event=enqueued)
        return moved is not None  # None: claimed or cancelled meanwhile; a worker will skip the queue entry

    async def _lost(self, candidates: _Candidates, now: datetime) -> AsyncGenerator[tuple[ImportJob, QueueState]]:
        """Every candidate older than the grace that the queue does not hold, page by page, oldest first."""
        after: Keyset | None = None
        while True:
            page = await candidates(now - self._grace, after=after, limit=self._batch)
            if not page:
                return
            # the fair dispatcher's lines count as held: a job waiting there for a slot is not lost
            states = await self._redis(self._queue.queue_state([job.id for job in page]))
            for job in page:
                if states[job.id].lost:
                    yield job, states[job.id]
            if len(page) < self._batch:
                return
            after = Keyset(page[-1].requested_at, page[-1].id)
