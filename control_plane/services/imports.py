"""Submitting, reading, cancelling and retrying import jobs.

The order of the two-step hand-off (REQ-DURABLE-1) lives here: a job row is written
(and committed by the caller) before it is enqueued (filed in its company's
line of the fair dispatcher); if the queue is away the job stays PENDING and
the reconciler enqueues it later.  Nothing is lost.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.db.models import ImportJob, JobEvent
from control_plane.db.repositories import CompanyRepository, IntegrationRepository, JobRepository
from control_plane.db.repositories.jobs import JobFilter
from control_plane.domain.backpressure import Decision, Outcome
from control_plane.domain.errors import (
    AdmissionRejected,
    DependencyUnavailable,
    IdempotencyMismatch,
    InvalidRequest,
    InvalidTransition,
    NotFound,
)
from control_plane.domain.idempotency import request_fingerprint
from control_plane.domain.jobs import JobStatus, ensure_transition, is_cancellable, is_retryable
from control_plane.domain.pagination import Keyset, decode_cursor, encode_cursor
from control_plane.domain.principals import Principal
from control_plane.domain.queueing import queue_entry
from control_plane.services.limits import check_import_quota
from control_plane.services.ports import Admitter, WorkQueue
from control_plane.settings import LimitSettings

DEFAULT_MAX_ATTEMPTS = 4  # REQ-QUEUE-2: the first run plus 3 retries


@dataclass(frozen=True)
class ImportRequest:
    integration_id: uuid.UUID
    options: dict[str, Any] = field(default_factory=dict)
    correlation_id: str | None = None


@dataclass(frozen=True)
class Submission:
    job: ImportJob
    created: bool
    decision: Decision | None = None
    """Admission's verdict for a new job (None for a replay or when no admission was asked)."""


@dataclass(frozen=True)
class Filing:
    """What became of a job handed to the work queue: filed (``enqueued``) or kept PENDING, and why."""

    job: ImportJob
    enqueued: bool
    message: str


@dataclass(frozen=True)
class JobPage:
    items: Sequence[ImportJob]
    next_cursor: str | None


class ImportService:
    def __init__(self, session: AsyncSession, *, actor: Principal) -> None:
        self._session = session
        self._jobs = JobRepository(session)
        self._actor = actor

    async def submit(
        self,
        request: ImportRequest,
        *,
        idempotency_key: str | None,
        admission: Admitter | None = None,
        limits: LimitSettings | None = None,
    ) -> Submission:
        """Write the PENDING job (not yet committed) or return the one this key created.

        A replay is returned whatever the queue's health; a new job first passes ``admission``,
        which may refuse it (nothing is written) before anything is stored.
        """
        fingerprint = request_fingerprint({"integration_id": str(request.integration_id), "options": request.options})
        integration = await IntegrationRepository(self._session).get(
            request.integration_id, company_scope=self._actor.company_scope()
        )
        if integration is None:
            raise InvalidRequest("no integration with this id", field="integration_id")
        if not integration.enabled:
            raise InvalidRequest("this integration is disabled", field="integration_id")
        if idempotency_key is not None:
            existing = await self._replay(integration.company_id, idempotency_key, fingerprint)
            if existing is not None:
                return Submission(existing, created=False)
        if limits is not None:
            await check_import_quota(self._session, integration.company_id, limits)
        company = await CompanyRepository(self._session).get(integration.company_id)
        assert company is not None  # integrations cascade with their company
        decision = await admission.admit(company.tier, company.id, integration.provider) if admission else None
        if decision is not None and not decision.stored:
            raise AdmissionRejected(
                decision.queue_tier.value, decision.reason, retry_after_s=decision.retry_after_s or 1
            )
        job_id = uuid.uuid4()
        job = ImportJob(
            id=job_id,
            company_id=integration.company_id,
            integration_id=integration.id,
            provider=integration.provider,
            tier=company.tier,
            status=JobStatus.PENDING,
            options=request.options,
            max_attempts=DEFAULT_MAX_ATTEMPTS,
            correlation_id=request.correlation_id or str(job_id),
            idempotency_key=idempotency_key,
            request_fingerprint=fingerprint,
        )
        try:
            async with self._session.begin_nested():
                await self._jobs.add(job)
        except IntegrityError:
            # A concurrent request with the same key won the race: return its job.
            winner = await self._replay(integration.company_id, idempotency_key or "", fingerprint)
            if winner is None:
                raise
            return Submission(winner, created=False)
        data: dict[str, Any] = {"options": request.options}
        if decision is not None:
            data["admission"] = decision.as_dict()
        await self._event(job, "created", to_status=JobStatus.PENDING, data=data)
        return Submission(job, created=True, decision=decision)

    async def _replay(self, company_id: uuid.UUID, key: str, fingerprint: str) -> ImportJob | None:
        existing = await self._jobs.get_by_idempotency_key(company_id, key)
        if existing is not None and existing.request_fingerprint != fingerprint:
            raise IdempotencyMismatch("this Idempotency-Key was used for a different request", field="Idempotency-Key")
        return existing

    async def file_submission(self, submission: Submission, queue: WorkQueue) -> Filing:
        """Act on admission for a committed new job: hold it (paused), file it delayed, or file it now."""
        job, decision = submission.job, submission.decision
        if decision is not None and decision.outcome is Outcome.HELD:
            await self._event(job, "held", message=decision.reason, data=decision.as_dict())
            return Filing(job, enqueued=False, message=decision.reason)
        if decision is not None and decision.outcome is Outcome.DEFERRED:
            return await self.file(job, queue, defer_by=timedelta(seconds=decision.defer_s), note=decision.reason)
        return await self.file(job, queue)

    async def file(
        self, job: ImportJob, queue: WorkQueue, *, defer_by: timedelta | None = None, note: str | None = None
    ) -> Filing:
        """File a committed PENDING job in the work queue, then mark it QUEUED (caller commits).

        ``defer_by`` makes it due later (backpressure); ``note`` says why, on the timeline and in the answer.
        """
        try:
            # filing takes the job out of arq first: a retried job may still have arq's result of its
            # last run, over which a plain arq enqueue would silently do nothing.
            await queue.file(queue_entry(job), defer_by=defer_by)
        except DependencyUnavailable as exc:
            await self._event(job, "enqueue_failed", message=exc.detail)
            return Filing(
                job,
                enqueued=False,
                message=(
                    "the job is stored but the queue is unavailable; "
                    "it will be enqueued automatically when the queue recovers"
                ),
            )
        moved = await self._jobs.move(
            job.id, allowed_from=[JobStatus.PENDING], to=JobStatus.QUEUED, queued_at=datetime.now(UTC)
        )
        if moved is not None:
            data = {"defer_s": int(defer_by.total_seconds())} if defer_by else None
            await self._event(
                moved, "queued", from_status=JobStatus.PENDING, to_status=JobStatus.QUEUED, message=note, data=data
            )
            job = moved
        return Filing(job, enqueued=True, message=f"the job is queued; {note}" if note else "the job is queued")

    async def get(self, job_id: uuid.UUID) -> ImportJob:
        job = await self._jobs.get(job_id, company_scope=self._actor.company_scope())
        if job is None:
            raise NotFound("import job not found")
        return job

    async def events(self, job_id: uuid.UUID) -> Sequence[JobEvent]:
        await self.get(job_id)
        return await self._jobs.events(job_id, company_scope=self._actor.company_scope())

    async def list(self, filters: JobFilter, *, cursor: str | None, limit: int) -> JobPage:
        after = decode_cursor(cursor) if cursor else None
        rows = await self._jobs.list(filters, after=after, limit=limit + 1)
        items, more = rows[:limit], len(rows) > limit
        next_cursor = encode_cursor(Keyset(items[-1].requested_at, items[-1].id)) if more else None
        return JobPage(items, next_cursor)

    async def cancel(self, job_id: uuid.UUID) -> ImportJob:
        """Waiting jobs are cancelled now; a running job stops at its next checkpoint."""
        job = await self._locked(job_id)
        if not is_cancellable(job.status):
            ensure_transition(job.status, JobStatus.CANCELLED)
        now = datetime.now(UTC)
        if job.status is JobStatus.RUNNING:
            job.cancel_requested_at = now
            await self._event(job, "cancel_requested")
            return job
        previous = job.status
        job.status, job.finished_at, job.cancel_requested_at = JobStatus.CANCELLED, now, now
        await self._event(job, "cancelled", from_status=previous, to_status=JobStatus.CANCELLED)
        return job

    async def retry(self, job_id: uuid.UUID) -> ImportJob:
        """Put a FAILED or CANCELLED job back to PENDING with a fresh attempt budget."""
        job = await self._locked(job_id)
        if not is_retryable(job.status):
            raise InvalidTransition(job.status.value, JobStatus.PENDING.value)
        previous = job.status
        job.status = JobStatus.PENDING
        job.attempt_count, job.last_error = 0, None
        job.finished_at = job.cancel_requested_at = job.queued_at = None
        job.worker_id = None
        await self._event(job, "retry_requested", from_status=previous, to_status=JobStatus.PENDING)
        return job

    async def _locked(self, job_id: uuid.UUID) -> ImportJob:
        job = await self._jobs.get_for_update(job_id, company_scope=self._actor.company_scope())
        if job is None:
            raise NotFound("import job not found")
        return job

    async def _event(
        self,
        job: ImportJob,
        kind: str,
        *,
        from_status: JobStatus | None = None,
        to_status: JobStatus | None = None,
        message: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        await self._jobs.add_event(
            job.id,
            kind=kind,
            actor=self._actor.subject,
            from_status=from_status,
            to_status=to_status,
            message=message,
            data=data,
        )
