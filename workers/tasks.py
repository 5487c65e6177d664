"""Task shells: parse arguments, admit, claim, hand the job to the runner.

The queue-wide job-start limit is spent by the feeder when it hands a job to
arq (integrations.feeder), so a job that reaches this task may start at once.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog

from control_plane.domain.pausing import PAUSE_RECHECK_S
from control_plane.domain.queueing import Delivery
from control_plane.integrations.redis_state.ops_state import RedisOpsState
from control_plane.services.execution import JobExecution
from control_plane.services.pause_gate import park_if_paused
from workers.resources import resources
from workers.runner import JobRunner

log = structlog.get_logger("workers.tasks")


async def run_import(ctx: dict[str, Any], job_id: str) -> str:
    """Run one import job; PostgreSQL decides whether it may run at all."""
    delivery = Delivery(dispatched_at=ctx.get("enqueue_time"), picked_at=datetime.now(UTC))
    worker = resources(ctx)
    state = RedisOpsState(worker.redis, worker.settings.redis.queue_name)
    recheck = timedelta(seconds=PAUSE_RECHECK_S)
    pause = await park_if_paused(worker.sessions, state, worker.queue, uuid.UUID(job_id), recheck)
    if pause is not None:  # operator pause: back in its line unclaimed, delayed; resume brings it forward again
        log.info("job.paused", jobId=job_id, reason=pause.describe(), delay_s=PAUSE_RECHECK_S)
        return "paused"
    async with worker.sessions() as session:
        execution = JobExecution(session, worker_id=worker.worker_id, lease_ttl=worker.lease_ttl)
        job = await execution.claim(uuid.UUID(job_id), delivery)
        await session.commit()
    if job is None:
        log.info("job.skipped", jobId=job_id, reason="not waiting (cancelled, finished or held by a live worker)")
        return "skipped"
    return await JobRunner(worker, job).run()
