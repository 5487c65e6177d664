"""What every drill is made of: the drill record, fault steps that the runner can roll back, shared probes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from chaos import probes
from chaos.context import DrillContext
from chaos.faults import Fault
from chaos.model import Check

Step = Callable[[DrillContext], Awaitable[None]]
Probe = Callable[[DrillContext], Awaitable[bool]]
Checks = Callable[[DrillContext], Awaitable[list[Check]]]


async def _no_checks(_ctx: DrillContext) -> list[Check]:
    return []


@dataclass(frozen=True)
class Drill:
    name: str
    failure: str
    """Key of the failure row (REQ-MTTR-1..7) (:data:`chaos.model.SEED_FAILURES`)."""
    runbook: str
    summary: str
    inject: Step
    detected: Probe
    recovered: Probe
    checks: Checks = _no_checks
    ci: bool = False
    """Part of the fast subset CI runs."""


async def apply(ctx: DrillContext, fault: Fault) -> None:
    """Inject ``fault`` and remember it, so the runner rolls it back whatever happens next."""
    ctx.scratch.setdefault("active", []).append(fault)
    ctx.mark_injected()
    await fault.inject()
    ctx.note("inject", fault.name, **fault.attributes())


async def lift(ctx: DrillContext, fault: Fault) -> None:
    await fault.rollback()
    ctx.scratch["active"].remove(fault)
    ctx.note("rollback", fault.name, **fault.attributes())


async def hold(ctx: DrillContext, faults: list[Fault], seconds: float) -> None:
    """Keep ``faults`` in place for ``seconds`` (the fault's duration, not a synchronisation), then lift them."""
    for fault in faults:
        await apply(ctx, fault)
    await asyncio.sleep(seconds)
    for fault in reversed(faults):
        await lift(ctx, fault)
    ctx.mark_restored()


# --- detection and recovery probes -------------------------------------------------------------


async def api_unready(ctx: DrillContext) -> bool:
    return not (await probes.api_ready(ctx.env)).ok or ctx.workload.result.first_503_at is not None


async def flowing(ctx: DrillContext) -> bool:
    """Recovered: the API is ready again and jobs make progress after the fault was lifted."""
    if ctx.restored_wall is None or not (await probes.api_ready(ctx.env)).ok:
        return False
    return await probes.progress_since(ctx.env, ctx.job_ids, ctx.restored_wall)


async def jobs_noticed(ctx: DrillContext) -> bool:
    """A job recorded the fault: a retry, deferral or hand-back since the injection."""
    since = ctx.record.timeline[0].at if ctx.record.timeline else ctx.record.started_at
    kinds = ("retry_scheduled", "handed_back", "failed")
    events = await probes.events_since(ctx.env, ctx.job_ids, since, kinds)
    return bool(events) or await api_unready(ctx)
