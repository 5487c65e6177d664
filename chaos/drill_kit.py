"""What every drill is made of: the drill record, fault steps that the runner can roll back, shared probes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

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
    detect_within_s: float = 30.0
    """Target from the injection to the system's first signal: by default the stale-job detection period."""


async def apply(ctx: DrillContext, fault: Fault) -> None:
    """Inject ``fault`` and remember it, so the runner rolls it back whatever happens next."""
    ctx.scratch.setdefault("active", []).append(fault)
    ctx.mark_injected()
    await fault.inject()
    ctx.note("inject", fault.name, **fault.attributes())


async def lift(ctx: DrillContext, fault: Fault, patience_s: float = 15.0) -> None:
    """Lift ``fault``; a rollback that fails (a busy simulator, a slow admin call) is tried again for a while,
    since a fault left in place would spoil every measurement after it."""
    deadline = time.monotonic() + patience_s
    while True:
        try:
            await fault.rollback()
            break
        except Exception as exc:
            if time.monotonic() >= deadline:
                raise
            ctx.note("note", f"rollback of {fault.name} failed; trying again", error=str(exc)[:160])
            await asyncio.sleep(0.5)  # a pause between attempts, not a synchronisation
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
