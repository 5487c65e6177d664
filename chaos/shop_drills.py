"""A sick shop: one vendor's shop answers 500 to every call while other vendors of the same provider import.

The drill's own tenant is the sick shop (its workload, its invariants).  Its own
breaker must open and defer its jobs; the provider-wide breaker must stay
closed, since it opens only on failures from several integrations
(``ICP_BREAKER_PROVIDER_MIN_INTEGRATIONS``), so the other vendors' imports,
submitted once the shop's breaker is open, complete while it is still sick.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import Awaitable
from typing import Any, cast

from chaos import probes
from chaos.context import DrillContext
from chaos.drill_kit import apply, lift
from chaos.env import Tenant, create_tenant
from chaos.faults import ProviderFaults
from chaos.model import Check
from chaos.waiting import poll_until
from chaos.workload import WorkloadDriver, WorkloadSpec
from control_plane.integrations.redis_state.circuit_breaker import breaker_key

HEALTHY_VENDORS = 3
"""Other vendors of the same provider: as many as it takes to open the provider scope (the default)."""


async def sick_shop(ctx: DrillContext) -> None:
    vendors = await _vendors(ctx)
    provider = ctx.tenant.provider.value
    ctx.scratch["provider_states"] = set()
    watcher = asyncio.create_task(_watch_provider_scope(ctx, provider))
    fault = ProviderFaults(
        ctx.env.sim_admin, provider, ctx.tenant.account, {"error_rate": 1.0}, name="one shop answers 500"
    )
    try:
        started = time.monotonic()
        await apply(ctx, fault)
        opened = await poll_until(lambda: _shop_breaker_open(ctx), ctx.options.recovery_timeout_s)
        ctx.note("observe", "the sick shop's breaker opened" if opened else "the sick shop's breaker did NOT open")
        jobs = ctx.scratch["vendor_jobs"] = await _submit(ctx, vendors)
        done = await poll_until(lambda: _all_finished(ctx, jobs), ctx.options.settle_timeout_s, every_s=0.5)
        ctx.scratch["vendors_done_while_sick"] = len(await _completed(ctx, jobs))
        ctx.note("observe", "other vendors' imports finished" if done else "other vendors' imports NOT finished")
        await asyncio.sleep(max(0.0, ctx.options.degrade_s - (time.monotonic() - started)))  # the fault's length
    finally:
        watcher.cancel()
        if fault in ctx.scratch.get("active", []):  # also when a step above raised: the shop gets well now
            await lift(ctx, fault)
            ctx.mark_restored()


async def _vendors(ctx: DrillContext) -> list[Tenant]:
    """Healthy companies on the same provider, each with its own shop (set up before the fault)."""
    options = ctx.options
    return [
        await create_tenant(
            ctx.env,
            f"{ctx.tenant.account[:90]}-v{number}",
            products=options.products,
            images_max=options.images_max,
            latency_ms=options.provider_latency_ms,
            plan=options.shop_plan,
        )
        for number in range(1, HEALTHY_VENDORS + 1)
    ]


async def _submit(ctx: DrillContext, vendors: list[Tenant]) -> list[uuid.UUID]:
    """One import per healthy vendor, through the API like any client (503s retried with the same key)."""
    drivers = [
        WorkloadDriver(ctx.env.api, vendor, WorkloadSpec(1, 0.1, ctx.options.seed), f"{ctx.record.run_id}-v{n}")
        for n, vendor in enumerate(vendors, start=1)
    ]
    results = await asyncio.gather(*(driver.run() for driver in drivers))
    jobs = [job for result in results for job in result.accepted.values()]
    ctx.note("workload", "other vendors submitted", vendors=len(vendors), accepted=len(jobs))
    return jobs


async def _watch_provider_scope(ctx: DrillContext, provider: str) -> None:
    """Every state the provider-wide breaker is seen in while the drill runs (it should only be closed)."""
    seen: set[str] = ctx.scratch["provider_states"]
    while True:
        raw = await cast(Awaitable[Any], ctx.env.redis.hget(breaker_key(provider), "state"))
        seen.add(raw.decode() if isinstance(raw, bytes) else (raw or "closed"))
        await asyncio.sleep(0.1)


async def _shop_breaker_open(ctx: DrillContext) -> bool:
    return await probes.breaker_state(ctx.env, ctx.tenant) == "open"


async def _completed(ctx: DrillContext, jobs: list[uuid.UUID]) -> list[uuid.UUID]:
    rows = await probes.job_rows(ctx.env, jobs)
    return [row.id for row in rows if str(getattr(row.status, "value", row.status)) == "COMPLETED"]


async def _all_finished(ctx: DrillContext, jobs: list[uuid.UUID]) -> bool:
    return bool(jobs) and await probes.all_settled(ctx.env, jobs)


async def sick_shop_checks(ctx: DrillContext) -> list[Check]:
    """Only the sick shop tripped: its breaker opened and deferred it; the provider's and its other vendors' did not."""
    provider = ctx.tenant.provider.value
    shop = [t for t in await probes.breaker_transitions(ctx.env, ctx.tenant) if t.to_state.value == "open"]
    since = ctx.record.started_at
    provider_moves = [t for t in await probes.scope_transitions(ctx.env, provider) if t.at >= since]
    states = sorted(ctx.scratch.get("provider_states", set()))
    held = await probes.events_since(ctx.env, ctx.job_ids, since, ("retry_scheduled", "handed_back"))
    jobs: list[uuid.UUID] = ctx.scratch.get("vendor_jobs", [])
    vendor_held = await probes.events_since(ctx.env, jobs, since, ("handed_back",))
    by_provider = re.compile(rf"circuit open for {re.escape(provider)}(?!:)")
    held_by_provider = [e for e in vendor_held if by_provider.search(e.message or "")]
    done = ctx.scratch.get("vendors_done_while_sick", 0)
    finished = await _completed(ctx, jobs)
    want = HEALTHY_VENDORS
    return [
        Check("sick shop's own breaker opened", bool(shop), len(shop), ">= 1", shop[0].reason[:120] if shop else ""),
        Check("sick shop's jobs deferred or retried", bool(held), len(held), ">= 1"),
        Check(
            "provider-wide breaker stayed closed",
            not provider_moves and states == ["closed"],
            [f"{t.from_state.value}->{t.to_state.value}" for t in provider_moves] or states,
            "closed",
            provider_moves[0].reason[:120] if provider_moves else "",
        ),
        Check("other vendors' jobs held by the provider breaker", not held_by_provider, len(held_by_provider), 0),
        Check("other vendors' imports completed while the shop was sick", done == want, done, want),
        Check("other vendors' jobs lost or unfinished", len(finished) == want, want - len(finished), 0),
    ]
