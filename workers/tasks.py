"""Task shells: parse arguments, admit, claim, hand the job to the runner.

The queue-wide job-start limit is spent by the feeder when it hands a job to
arq (integrations.feeder), so a job that reaches this task may start at once.
When PostgreSQL cannot be reached to check or claim the job, the job goes back
to wait in arq's queue for a moment (arq's ``Retry``) instead of failing out of
it: a failed arq job leaves Redis, and only the reconciler's next pass would
find it again.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from arq.worker import Retry

from control_plane.db.engine import database_unreachable
from control_plane.domain.pausing import PAUSE_RECHECK_S
from control_plane.domain.queueing import Delivery
from control_plane.integrations.redis_state.ops_state import RedisOpsState
from control_plane.services.execution import JobExecution
from control_plane.services.pause_gate import park_if_paused
from workers.resources import resources
from workers.runner import JobRunner

log = structlog.get_logger("workers.tasks")
CLAIM_RETRY_S = 2.0
"""How long a job waits in arq's queue after its claim could not reach the database."""


async def run_import(ctx: dict[str, Any], job_id: str) -> str:
    """Run one import job; PostgreSQL decides whether it may run at all."""
    delivery = Delivery(dispatched_at=ctx.get("enqueue_time"), picked_at=datetime.now(UTC))
    worker = resources(ctx)
    state = RedisOpsState(worker.redis, worker.settings.redis.queue_name)
    recheck = timedelta(seconds=PAUSE_RECHECK_S)
    try:
        pause = await park_if_paused(worker.sessions, state, worker.queue, uuid.UUID(job_id), recheck)
        if pause is not None:  # operator pause: back in its line unclaimed, delayed; resume brings it forward again
            log.info("job.paused", jobId=job_id, reason=pause.describe(), delay_s=PAUSE_RECHECK_S)
            return "paused"
        async with worker.sessions() as session:
            execution = JobExecution(session, worker_id=worker.worker_id, lease_ttl=worker.lease_ttl)
            job = await execution.claim(uuid.UUID(job_id), delivery)
            await session.commit()
    except Exception as exc:
        if not database_unreachable(exc):
            raise
        log.warning("job.claim_deferred", jobId=job_id, error=f"{type(exc).__name__}: {exc}", delay_s=CLAIM_RETRY_S)
        raise Retry(defer=CLAIM_RETRY_S) from exc
    if job is None:
        log.info("job.skipped", jobId=job_id, reason="not waiting (cancelled, finished or held by a live worker)")
        return "skipped"
    return await JobRunner(worker, job).run()
