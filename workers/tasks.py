"""Task shells: parse arguments, call a service, commit, translate errors."""

from __future__ import annotations

import uuid
from typing import Any

import structlog
from arq.worker import Retry

from control_plane.domain.ratelimit import JOB_STARTS_KEY
from control_plane.services.execution import JobExecution

log = structlog.get_logger("workers.tasks")


async def run_import(ctx: dict[str, Any], job_id: str) -> str:
    """Claim the job in PostgreSQL; the provider pipeline runs it from there."""
    start = await ctx["job_starts"].acquire(JOB_STARTS_KEY, ctx["job_start_spec"])
    if not start.allowed:  # queue-wide start limit: try again when a token is due
        raise Retry(defer=start.retry_after_s)
    async with ctx["sessions"]() as session:
        execution = JobExecution(session, worker_id=ctx["worker_id"])
        job = await execution.claim(uuid.UUID(job_id))
        if job is None:
            await session.commit()
            log.info("job.skipped", jobId=job_id, reason="not waiting (cancelled, finished or claimed)")
            return "skipped"
        reason = f"no import pipeline is installed for provider {job.provider.value!r}"
        await execution.fail(job, reason)
        await session.commit()
        log.warning("job.failed", jobId=job_id, error=reason)
        return "failed"
