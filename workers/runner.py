"""Run one claimed job: commit page by page, translate failures into retry, defer or fail.

This is the worker's edge.  Provider deferrals (rate limit, open breaker) and
graceful-shutdown cancellation hand the job back without spending an attempt;
transient failures retry after 5 s, 25 s, 125 s (REQ-QUEUE-1); permanent ones fail at
once with the reason; a lost lease means another worker owns the job now.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from contextlib import aclosing
from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.db.models import ImportJob
from control_plane.domain.errors import DependencyUnavailable, PermanentJobFailure
from control_plane.domain.queueing import queue_entry
from control_plane.integrations.providers.base import (
    PermanentProviderError,
    ProviderDeferred,
    ProviderError,
    RetryableProviderError,
)
from control_plane.services.execution import JobExecution, LeaseLost
from control_plane.services.image_ingest import ImageIngest
from control_plane.services.import_inputs import load_inputs
from control_plane.services.import_run import ImportRun, Progress
from workers.heartbeat import Heartbeat
from workers.resources import WorkerResources

log = structlog.get_logger("workers.runner")
MIN_DEFER_S = 1.0
"""arq drops this run's payload and queue entry just after the task returns; a job due again sooner
could be dispatched before that and lose its new entry."""
PERMANENT = (PermanentProviderError, PermanentJobFailure)
THROTTLED_STATUS = 429
Settle = Callable[[JobExecution, ImportJob], Awaitable[Any]]


class JobRunner:
    def __init__(self, worker: WorkerResources, job: ImportJob) -> None:
        self._worker = worker
        self._job = job
        self._started = time.monotonic()
        self._log = log.bind(jobId=str(job.id), correlationId=job.correlation_id, attempt=job.attempt_count)

    def _execution(self, session: AsyncSession) -> JobExecution:
        return JobExecution(session, worker_id=self._worker.worker_id, lease_ttl=self._worker.lease_ttl)

    async def run(self) -> str:
        if self._job.cancel_requested_at is not None:  # cancelled while its last worker was gone
            await self._settle(lambda ex, job: ex.cancel(job))
            return "cancelled"
        if self._job.attempt_count > self._job.max_attempts:  # its workers keep dying (e.g. out of memory)
            return await self._fail(f"gave up after {self._job.attempt_count - 1} attempts whose workers died")
        beat = Heartbeat(
            self._worker.sessions, self._execution, self._job.id, self._worker.settings.worker.heartbeat_interval_s
        )
        try:
            async with beat:
                return await self._import(beat)
        except LeaseLost:
            self._log.warning("job.lease_lost")
            return "lease_lost"
        except RetryableProviderError as exc:
            if not defers_without_attempt(exc):
                return await self._retry_or_fail(_reason(exc))
            delay, why = exc.retry_after_s or 5.0, exc.message
            if await self._settle(lambda ex, job: ex.hand_back(job, why, refund_attempt=True, delay_s=delay)):
                await self._file_later(delay)
            self._log.info("job.deferred", reason=why, delay_s=delay)
            return "deferred"
        except PERMANENT as exc:
            return await self._fail(_reason(exc))
        except asyncio.CancelledError:  # shutdown drain ran out: hand back from the checkpoint
            await asyncio.shield(
                self._settle(lambda ex, job: ex.hand_back(job, "worker shut down", refund_attempt=True))
            )
            self._log.info("job.handed_back", reason="worker shut down")
            raise
        except Exception as exc:
            return await self._retry_or_fail(_reason(exc))

    async def _import(self, beat: Heartbeat) -> str:
        worker = self._worker
        async with worker.sessions() as session:
            execution = self._execution(session)
            inputs = await load_inputs(session, self._job, worker.secrets)
            await session.commit()  # the read ends here: no transaction waits on the first provider call
            include_images = self._job.options.get("include_images", True)
            run = ImportRun(
                session,
                job=self._job,
                client=worker.provider_clients(inputs.access),
                rules=inputs.rules,
                context=inputs.context,
                images=ImageIngest(worker.image_tools, concurrency=worker.settings.worker.image_concurrency)
                if include_images
                else None,
                execution=execution,
                end_transaction=session.commit,
            )
            progress = Progress()
            async with aclosing(run.pages()) as pages:  # leaving early drops the page fetched ahead
                async for page in pages:
                    await session.commit()
                    progress = page.progress
                    if beat.lost:
                        raise LeaseLost(self._job.id)
                    if beat.cancel_requested and not page.last_page:
                        await execution.cancel(self._job)
                        await session.commit()
                        self._log.info("job.cancelled")
                        return "cancelled"
            await execution.complete(self._job, progress.__dict__)
            await session.commit()
        self._completed(progress)
        return "completed"

    def _completed(self, progress: Progress) -> None:
        """The `job.completed` record of REQ-OBS-2."""
        self._log.info(
            "job.completed",
            duration=round((time.monotonic() - self._started) * 1000),
            productsImported=progress.products_processed,
            imagesProcessed=progress.images_processed,
            errors=progress.products_failed + progress.images_failed,
        )

    async def _fail(self, reason: str) -> str:
        await self._settle(lambda ex, job: ex.fail(job, reason))
        self._log.warning("job.failed", error=reason)
        return "failed"

    async def _retry_or_fail(self, reason: str) -> str:
        delays = self._worker.settings.worker.retry_delays_s
        attempt = self._job.attempt_count
        if attempt >= self._job.max_attempts or attempt > len(delays):
            return await self._fail(f"gave up after {attempt} attempts: {reason}")
        delay = float(delays[attempt - 1])
        if await self._settle(lambda ex, job: ex.retry_later(job, reason, delay)):
            await self._file_later(delay)
        self._log.warning("job.retry_scheduled", error=reason, delay_s=delay)
        return "retry_scheduled"

    async def _file_later(self, delay_s: float) -> None:
        """Back in its company's line, due in ``delay_s``: the feeder, not arq, gives it its next slot.

        (An arq retry would take the first free slot when due, ahead of jobs resumed from a dead
        worker and outside the fair-share order.)  If Redis is away the job stays QUEUED in
        PostgreSQL and the reconciler files it again.
        """
        defer = timedelta(seconds=max(delay_s, MIN_DEFER_S))
        try:
            await self._worker.queue.file(queue_entry(self._job), defer_by=defer)
        except DependencyUnavailable as exc:
            self._log.warning("job.requeue_failed", error=exc.detail, reconciled_by="the next reconciliation pass")

    async def _settle(self, settle: Settle) -> bool:
        """Record the outcome in its own transaction; False if that failed (the lease sweep recovers the job)."""
        try:
            async with self._worker.sessions() as session:
                await settle(self._execution(session), self._job)
                await session.commit()
        except LeaseLost:
            self._log.warning("job.lease_lost")
        except Exception as exc:
            self._log.error("job.settle_failed", error=_reason(exc))
        else:
            return True
        return False


def defers_without_attempt(exc: ProviderError) -> bool:
    """The provider said "later", not "broken": our limiter or breaker held the call, or it throttled us (429).

    A throttle that outlasts the client's paced retries is the provider's quota, not a fault of the job,
    so like an open breaker it hands the job back without spending one of its attempts.
    """
    return isinstance(exc, ProviderDeferred) or exc.status == THROTTLED_STATUS


def _reason(exc: BaseException) -> str:
    detail = getattr(exc, "message", None) or getattr(exc, "detail", None) or str(exc)
    return f"{type(exc).__name__}: {detail}"[:2000]
