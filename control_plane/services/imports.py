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

from control_plane.db.models import ImportJob, Integration, JobEvent
from control_plane.db.repositories import JobRepository
from control_plane.db.repositories.jobs import JobFilter
from control_plane.db.repositories.submissions import EventRecord, SubmissionContext, SubmissionRepository
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
from control_plane.domain.principals import Principal, Tier
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
        self._submissions = SubmissionRepository(session)
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
        which may refuse it (nothing is written) before anything is stored. The facts it is
        decided on are read in one query.
        """
        fingerprint = request_fingerprint({"integration_id": str(request.integration_id), "options": request.options})
        context = await self._submissions.context(
            request.integration_id, company_scope=self._actor.company_scope(), idempotency_key=idempotency_key
        )
        if context is None:
            raise InvalidRequest("no integration with this id", field="integration_id")
        integration = context.integration
        if not integration.enabled:
            raise InvalidRequest("this integration is disabled", field="integration_id")
        if context.replay is not None:
            return Submission(_matching(context.replay, fingerprint), created=False)
        decision = await self._admit(context, admission, limits)
        values = _job_values(request, integration, context.tier, idempotency_key, fingerprint)
        data: dict[str, Any] = {"options": request.options}
        if decision is not None:
            data["admission"] = decision.as_dict()
        created = EventRecord("created", actor=self._actor.subject, to_status=JobStatus.PENDING, data=data)
        return await self._add(values, created, decision)

    async def _admit(
        self, context: SubmissionContext, admission: Admitter | None, limits: LimitSettings | None
    ) -> Decision | None:
        """The company's caps, then the queue's admission: a refusal raises before anything is written."""
        company_id, provider = context.integration.company_id, context.integration.provider
        if limits is not None:
            check_import_quota(
                company_id, active_imports=context.active_imports, stored_bytes=context.stored_bytes, limits=limits
            )
        decision = await admission.admit(context.tier, company_id, provider) if admission else None
        if decision is not None and not decision.stored:
            raise AdmissionRejected(
                decision.queue_tier.value, decision.reason, retry_after_s=decision.retry_after_s or 1
            )
        return decision

    async def _add(self, values: dict[str, Any], created: EventRecord, decision: Decision | None) -> Submission:
        """Store the job and its created event; with a key, a concurrent twin that won is returned instead.

        Only a keyed insert can meet the unique constraint, so only it pays for a savepoint.
        """
        key = values["idempotency_key"]
        if key is None:
            return Submission(await self._submissions.add(values, created), created=True, decision=decision)
        try:
            async with self._session.begin_nested():
                job = await self._submissions.add(values, created)
        except IntegrityError:
            # A concurrent request with the same key won the race: return its job.
            winner = await self._jobs.get_by_idempotency_key(values["company_id"], key)
            if winner is None:
                raise
            return Submission(_matching(winner, values["request_fingerprint"]), created=False)
        return Submission(job, created=True, decision=decision)

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
        data = {"defer_s": int(defer_by.total_seconds())} if defer_by else None
        queued = EventRecord("queued", self._actor.subject, JobStatus.PENDING, JobStatus.QUEUED, note, data)
        moved = await self._submissions.mark_queued(job.id, queued_at=datetime.now(UTC), event=queued)
        job = moved or job
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


def _matching(existing: ImportJob, fingerprint: str) -> ImportJob:
    """The job an Idempotency-Key names, if it was made by the same request."""
    if existing.request_fingerprint != fingerprint:
        raise IdempotencyMismatch("this Idempotency-Key was used for a different request", field="Idempotency-Key")
    return existing


def _job_values(
    request: ImportRequest, integration: Integration, tier: Tier, key: str | None, fingerprint: str
) -> dict[str, Any]:
    """The new PENDING job's columns."""
    job_id = uuid.uuid4()
    return {
        "id": job_id,
        "company_id": integration.company_id,
        "integration_id": integration.id,
        "provider": integration.provider,
        "tier": tier,
        "status": JobStatus.PENDING,
        "options": request.options,
        "checkpoint": {},
        "max_attempts": DEFAULT_MAX_ATTEMPTS,
        "correlation_id": request.correlation_id or str(job_id),
        "idempotency_key": key,
        "request_fingerprint": fingerprint,
    }
