"""When a drill's fault was noticed, and when imports flow again: measured on the system, never on a ping.

Detection is the first signal *of the system*: its readiness turning
unavailable or degraded, a submission answered 503, a breaker of the drill's
tenant opening, a lease swept or a job retried, deferred or handed back.
Recovery is not a heartbeat (a background renewer writes those whatever an
import does): a job another vendor submitted after the fault was lifted (the
canary) has started, and some job has committed products or finished since.
The canary is another vendor's because the drill vendor's own jobs queued
during the fault are served in order: its new job waiting behind them is the
company's queue at work, not the system still down.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime

import httpx
import sqlalchemy as sa

from chaos import probes
from chaos.context import DrillContext
from control_plane.db.models import ImportJob

SIGNAL_EVENTS = ("retry_scheduled", "handed_back", "reconcile.lease_expired", "reconcile.requeued")
"""Job events the system writes when it notices a fault: a retry, a deferral or hand-back, a lease swept."""
CANARY = "canary_task"
SNAPSHOT = "progress_at_restore"


async def readiness_signals(ctx: DrillContext) -> bool:
    """The API's own readiness: unavailable (503) or degraded (a dependency answers slowly)."""
    try:
        response = await ctx.env.api.get("/health/ready", timeout=probes.PROBE_TIMEOUT_S)
    except httpx.HTTPError:
        return False  # the harness could not ask: that is not the system's signal
    return response.status_code == 503 or response.json().get("status") == "degraded"


async def breaker_opened_since(ctx: DrillContext, since: datetime) -> bool:
    transitions = await probes.breaker_transitions(ctx.env, ctx.tenant)
    return any(t.to_state.value == "open" and t.at >= since for t in transitions)


async def system_noticed(ctx: DrillContext) -> bool:
    """Any signal of the system since the injection (see the module's docstring)."""
    since = ctx.injected_wall
    if since is None:
        return False
    if ctx.workload.result.first_503_at is not None or await readiness_signals(ctx):
        return True
    if await probes.events_since(ctx.env, ctx.job_ids, since, SIGNAL_EVENTS):
        return True
    return await breaker_opened_since(ctx, since)


async def _progress(ctx: DrillContext) -> dict[uuid.UUID, tuple[int, datetime | None]]:
    """Each job's committed products (processed + failed) and when it finished."""
    if not ctx.job_ids:
        return {}
    async with ctx.env.sessions() as session:
        query = sa.select(
            ImportJob.id, ImportJob.products_processed + ImportJob.products_failed, ImportJob.finished_at
        ).where(ImportJob.id.in_(ctx.job_ids))
        return {row[0]: (int(row[1] or 0), row[2]) for row in await session.execute(query)}


def start_canary(ctx: DrillContext) -> None:
    """At the restore: submit the canary and remember what every job had committed (the baseline of progress)."""
    ctx.scratch[CANARY] = asyncio.create_task(ctx.canary.submit_canary())
    ctx.scratch.pop(SNAPSHOT, None)


async def _canary_started(ctx: DrillContext) -> bool:
    task: asyncio.Task[str] | None = ctx.scratch.get(CANARY)
    if task is None or not task.done() or task.exception() is not None:
        return False
    job_id = ctx.canary.result.accepted.get(task.result())
    if job_id is None:
        return False
    async with ctx.env.sessions() as session:
        started = await session.scalar(sa.select(ImportJob.started_at).where(ImportJob.id == job_id))
    return started is not None


async def imports_flow(ctx: DrillContext) -> bool:
    """Recovered: the canary (another vendor's job submitted after the restore) started, and a job committed
    products or finished since."""
    restored = ctx.restored_wall
    if restored is None:
        return False
    try:
        progress = await _progress(ctx)
        if SNAPSHOT not in ctx.scratch:
            ctx.scratch[SNAPSHOT] = progress  # the first read after the restore (a page before it is not counted)
            return False
        before: dict[uuid.UUID, tuple[int, datetime | None]] = ctx.scratch[SNAPSHOT]
        moved = any(
            count > before.get(job, (0, None))[0] or (finished is not None and finished > restored)
            for job, (count, finished) in progress.items()
        )
        return moved and await _canary_started(ctx)
    except (sa.exc.SQLAlchemyError, OSError):
        return False  # the database is not back yet: not recovered
