"""Process drills: kill, drain or starve busy workers and time until their jobs run again."""

from __future__ import annotations

import asyncio
import random
import signal
import time
import uuid
from datetime import UTC, datetime, timedelta

from chaos import probes
from chaos.context import DrillContext
from chaos.drill_kit import apply, lift
from chaos.model import Check
from chaos.process_faults import MemoryLimit, WorkerKilled
from chaos.waiting import poll_until
from harness.settings.chaos import ChaosSettings

# --- workers -------------------------------------------------------------------------------------


async def busy_worker(ctx: DrillContext, timeout_s: float = 60.0) -> str | None:
    """A live worker currently holding a job of this drill (waits for one, bounded)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while loop.time() < deadline:
        live = ctx.env.workers.live()
        holders = [w for w in (await probes.running_jobs(ctx.env, ctx.job_ids)).values() if w in live]
        if holders:
            return sorted(holders)[0]
        await asyncio.sleep(0.2)
    return None


async def _crash(ctx: DrillContext, fault: WorkerKilled | MemoryLimit, worker: str) -> None:
    """Kill ``worker`` (via ``fault``), let the orchestrator restart it, and time until its jobs resume."""
    held = [job for job, w in (await probes.running_jobs(ctx.env, ctx.job_ids)).items() if w == worker]
    ctx.scratch.setdefault("killing", set()).add(worker)
    await apply(ctx, fault)
    if isinstance(fault, MemoryLimit):
        ctx.scratch["oom_killed"] = await fault.wait_killed(ctx.options.recovery_timeout_s)
        ctx.note(
            "observe",
            "OOM kill" if ctx.scratch["oom_killed"] else "never crossed the limit",
            resting_mib=fault.resting_mib,
            peak_mib=round(fault.peak_mib, 1),
            limit_mib=fault.limit_mib,
        )
    else:
        exited = await fault.wait_exit(drain_wait_s(ctx.options))
        ctx.scratch["drain_s"] = exited
        ctx.note("observe", f"{worker} exited", after_s=None if exited is None else round(exited, 2))
    died_at = fault.killed_at
    died_wall = datetime.now(UTC) - timedelta(seconds=time.monotonic() - (died_at or time.monotonic()))
    restart = asyncio.create_task(lift(ctx, fault))
    seen = await poll_until(lambda: jobs_resumed(ctx, held, died_wall), ctx.options.recovery_timeout_s)
    after = None if seen is None or died_at is None else await resumed_after(ctx, held, died_wall)
    recoveries: list[float | None] = ctx.scratch.setdefault("recoveries", [])
    recoveries.append(after)
    ctx.note(
        "recover",
        f"jobs of {worker} resumed" if after is not None else f"jobs of {worker} NOT resumed",
        jobs=len(held),
        after_s=None if after is None else round(after, 2),
    )
    await restart


def drain_wait_s(options: ChaosSettings) -> float:
    """How long a drill waits for a signalled worker to exit: the drain limit and some slack."""
    return options.drain_limit_s + 15


async def _resumptions(ctx: DrillContext, held: list[uuid.UUID], since: datetime) -> dict[uuid.UUID, datetime]:
    """When each job in ``held`` first ran again (a ``started`` event) or finished, after ``since``."""
    first: dict[uuid.UUID, datetime] = {}
    for event in await probes.events_since(ctx.env, held, since, ("started", *probes.FINISHED_EVENTS)):
        first.setdefault(event.job_id, event.at)
    for row in await probes.job_rows(ctx.env, held):  # finished before the kill landed (a race): done already
        if str(getattr(row.status, "value", row.status)) in probes.TERMINAL:
            first.setdefault(row.id, since)
    return first


async def jobs_resumed(ctx: DrillContext, held: list[uuid.UUID], since: datetime) -> bool:
    """Every job in ``held`` ran again on a live worker (or finished) after ``since``.

    Counted from the job's own timeline, so a job that resumed and was then legitimately handed
    back (a provider throttle) counts as resumed: the crash is what is being timed, not the provider.
    """
    return len(await _resumptions(ctx, held, since)) == len(set(held))


async def resumed_after(ctx: DrillContext, held: list[uuid.UUID], since: datetime) -> float:
    """Seconds from ``since`` (the death) until the last of ``held`` ran again, from the job events' times."""
    times = (await _resumptions(ctx, held, since)).values()
    return max(((at - since).total_seconds() for at in times), default=0.0)


async def sigkill(ctx: DrillContext) -> None:
    chooser = random.Random(ctx.options.seed)
    for number in range(ctx.options.worker_kills):
        worker = await busy_worker(ctx)
        if worker is None:
            ctx.note("note", f"kill {number + 1}: no worker held a job; skipped")
            continue
        await _crash(ctx, WorkerKilled(ctx.env.workers, worker, signal.SIGKILL, ctx.options.restart_delay_s), worker)
        await asyncio.sleep(chooser.uniform(1.0, 4.0))
    ctx.mark_restored()


async def lease_expired(ctx: DrillContext) -> bool:
    since = ctx.record.timeline[0].at if ctx.record.timeline else ctx.record.started_at
    return bool(await probes.events_since(ctx.env, ctx.job_ids, since, ("reconcile.lease_expired",)))


async def crashes_measured(ctx: DrillContext) -> bool:
    """Process drills time recovery per crash while injecting; nothing is left to wait for here."""
    return True


async def sigterm(ctx: DrillContext) -> None:
    worker = await busy_worker(ctx)
    if worker is None:
        ctx.note("note", "no worker held a job; nothing to drain")
        return
    await _crash(ctx, WorkerKilled(ctx.env.workers, worker, signal.SIGTERM, ctx.options.restart_delay_s), worker)
    ctx.mark_restored()


async def worker_exited(ctx: DrillContext) -> bool:
    """Detected: the terminated worker exited, which is what its orchestrator (ECS, the supervisor) acts on.

    (A drain that finishes its jobs in time leaves no hand-back on any timeline to detect it by.)
    """
    return ctx.scratch.get("drain_s") is not None


async def drain_checks(ctx: DrillContext) -> list[Check]:
    drained = ctx.scratch.get("drain_s")
    limit = ctx.options.drain_limit_s
    return [
        Check(
            "graceful drain (s)", drained is not None and drained < limit, drained and round(drained, 2), f"< {limit:g}"
        )
    ]


async def oom(ctx: DrillContext) -> None:
    worker = await busy_worker(ctx)
    if worker is None:
        ctx.note("note", "no worker held a job; no memory pressure to observe")
        return
    await _crash(
        ctx, MemoryLimit(ctx.env.workers, worker, ctx.options.oom_headroom_mib, ctx.options.restart_delay_s), worker
    )
    ctx.mark_restored()


async def oom_checks(ctx: DrillContext) -> list[Check]:
    killed = ctx.scratch.get("oom_killed", False)
    return [Check("worker killed over its memory limit", bool(killed), killed, True)]
