"""Task shells: parse arguments, admit, claim, hand the job to the runner."""

from __future__ import annotations

import uuid
from typing import Any

import structlog
from arq.worker import Retry

from control_plane.domain.pausing import PAUSE_RECHECK_S
from control_plane.domain.ratelimit import JOB_STARTS_KEY
from control_plane.integrations.redis_state.ops_state import RedisOpsState
from control_plane.services.execution import JobExecution
from control_plane.services.pause_gate import pause_holding
from workers.runner import JobRunner

log = structlog.get_logger("workers.tasks")


async def run_import(ctx: dict[str, Any], job_id: str) -> str:
    """Run one import job; PostgreSQL decides whether it may run at all."""
    state = RedisOpsState(ctx["redis"], ctx["settings"].redis.queue_name)
    pause = await pause_holding(ctx["sessions"], state, uuid.UUID(job_id))
    if pause is not None:  # operator pause: hand back unclaimed; resume brings it forward again
        log.info("job.paused", jobId=job_id, reason=pause.describe(), delay_s=PAUSE_RECHECK_S)
        raise Retry(defer=PAUSE_RECHECK_S)
    start = await ctx["job_starts"].acquire(JOB_STARTS_KEY, ctx["job_start_spec"])
    if not start.allowed:  # queue-wide start limit: try again when a token is due
        raise Retry(defer=start.retry_after_s)
    async with ctx["sessions"]() as session:
        execution = JobExecution(session, worker_id=ctx["worker_id"], lease_ttl=ctx["lease_ttl"])
        job = await execution.claim(uuid.UUID(job_id))
        await session.commit()
    if job is None:
        log.info("job.skipped", jobId=job_id, reason="not waiting (cancelled, finished or held by a live worker)")
        return "skipped"
    return await JobRunner(ctx, job).run()
