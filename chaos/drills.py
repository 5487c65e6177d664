"""The drill catalogue: what each one breaks, how it knows the system noticed, and what recovery means.

Every drill targets a row of the recovery table (REQ-MTTR-1..7) and names the runbook
it exercises.  ``inject`` applies faults through :func:`apply` (so the runner
can always roll them back) and lifts them itself when their time is up.
"""

from __future__ import annotations

import asyncio
import contextlib

from chaos import probes
from chaos.context import DrillContext
from chaos.drill_kit import Drill, apply, hold, lift
from chaos.faults import Fault, ProviderFaults, ProxyDisabled, Toxic
from chaos.invariants import image_checks
from chaos.model import Check
from chaos.process_faults import RedisCrashed
from chaos.recovery import imports_flow, system_noticed
from chaos.shop_drills import sick_shop, sick_shop_checks
from chaos.throttle import NoisyNeighbour
from chaos.worker_drills import (
    crashes_measured,
    drain_checks,
    lease_expired,
    oom,
    oom_checks,
    sigkill,
    sigterm,
    worker_exited,
)
from control_plane.integrations.metrics.provider_calls import ProviderCallCounters

# --- Redis ---------------------------------------------------------------------------------------


async def _redis_outage(ctx: DrillContext) -> None:
    env = ctx.env
    await hold(ctx, [ProxyDisabled(env.toxiproxy, "redis")], ctx.options.outage_s)
    if env.redis_process is None:
        ctx.note("note", "no Redis process control here: restart step skipped")
        return
    crash = RedisCrashed(env.redis_process)
    await apply(ctx, crash)
    await lift(ctx, crash)
    ctx.mark_restored()


async def _redis_latency(ctx: DrillContext) -> None:
    env = ctx.env
    faults: list[Fault] = [
        Toxic(env.toxiproxy, "redis", "latency", {"latency": 200, "jitter": 50}),
        Toxic(env.toxiproxy, "redis", "latency", {"latency": 200, "jitter": 50}, stream="upstream"),
        Toxic(env.toxiproxy, "redis", "bandwidth", {"rate": 256}),
    ]
    await hold(ctx, faults, ctx.options.degrade_s)


# --- PostgreSQL ----------------------------------------------------------------------------------


async def _db_outage(ctx: DrillContext) -> None:
    await hold(ctx, [ProxyDisabled(ctx.env.toxiproxy, "postgres")], ctx.options.outage_s)


async def _db_latency(ctx: DrillContext) -> None:
    faults: list[Fault] = [
        Toxic(ctx.env.toxiproxy, "postgres", "latency", {"latency": 400, "jitter": 100}),
        Toxic(ctx.env.toxiproxy, "postgres", "latency", {"latency": 400, "jitter": 100}, stream="upstream"),
    ]
    await hold(ctx, faults, ctx.options.degrade_s)


async def _db_timeout(ctx: DrillContext) -> None:
    await hold(
        ctx,
        [Toxic(ctx.env.toxiproxy, "postgres", "timeout", {"timeout": 4000}, stream="upstream")],
        ctx.options.degrade_s,
    )


# --- providers -----------------------------------------------------------------------------------


def provider_down_s(ctx: DrillContext) -> float:
    return ctx.options.provider_down_s or 2 * ctx.env.settings.breaker.open_seconds + 10


async def _provider_down(ctx: DrillContext) -> None:
    fault = ProviderFaults(ctx.env.sim_admin, "shopify", ctx.tenant.account, {"burst_5xx": 1_000_000})
    sampler = asyncio.create_task(_count_calls_while_open(ctx))
    try:
        await hold(ctx, [fault], provider_down_s(ctx))
    finally:
        sampler.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sampler  # a sampler that failed must fail the drill, not leave its count at 0


async def _count_calls_while_open(ctx: DrillContext) -> None:
    """Provider calls the simulator received between two samples that both saw the breaker open.

    Also whether any sample saw it open, and the calls received between the first and the last sample.
    """
    ctx.scratch["calls_while_open"] = 0
    previous: tuple[str, int] | None = None
    while True:
        state = await probes.breaker_state(ctx.env, ctx.tenant)
        calls = await NoisyNeighbour.api_calls(ctx.env.sim_admin, ctx.tenant.account)
        first = ctx.scratch.setdefault("calls_at_first_sample", calls)
        ctx.scratch["calls_during_fault"] = calls - first
        ctx.scratch["breaker_seen_open"] = ctx.scratch.get("breaker_seen_open", False) or state == "open"
        if previous is not None and previous[0] == state == "open":
            ctx.scratch["calls_while_open"] += calls - previous[1]
        previous = (state, calls)
        await asyncio.sleep(0.1)


async def breaker_opened(ctx: DrillContext) -> bool:
    return await probes.breaker_state(ctx.env, ctx.tenant) == "open"


async def breaker_recovered(ctx: DrillContext) -> bool:
    return await probes.breaker_state(ctx.env, ctx.tenant) == "closed" and await imports_flow(ctx)


async def _breaker_checks(ctx: DrillContext) -> list[Check]:
    """Opened after the threshold, half-open only after the open time, closed again at the end."""
    transitions = await probes.breaker_transitions(ctx.env, ctx.tenant)
    policy = ctx.env.settings.breaker
    opened = [t for t in transitions if t.to_state.value == "open"]
    half = [t for t in transitions if t.to_state.value == "half_open"]
    gaps = []
    for start in opened:
        following = next((h for h in half if h.at > start.at), None)
        if following is not None:
            gaps.append(round((following.at - start.at).total_seconds(), 1))
    reason = opened[0].reason if opened else ""
    return [
        Check("breaker opened", bool(opened), len(opened), ">= 1", reason[:120]),
        Check(
            "half-open not before the open time (s)",
            bool(gaps) and min(gaps) >= policy.open_seconds * 0.95,
            gaps,
            f">= {policy.open_seconds:g}",
        ),
        Check(
            "breaker closed at the end",
            transitions[-1].to_state.value == "closed" if transitions else False,
            transitions[-1].to_state.value if transitions else None,
            "closed",
        ),
        *await _calls_while_open(ctx),
    ]


async def _calls_while_open(ctx: DrillContext) -> list[Check]:
    samples = ctx.scratch.get("calls_while_open")
    if samples is None:
        return []
    return [Check("provider calls while the breaker was open", samples == 0, samples, 0)]


async def _provider_slow(ctx: DrillContext) -> None:
    toxic = Toxic(ctx.env.toxiproxy, "shopify", "latency", {"latency": 2500, "jitter": 500})
    await hold(ctx, [toxic], ctx.options.degrade_s)


async def _system_429s(ctx: DrillContext) -> int:
    """429 answers the system's own provider calls received, as its workers counted them (all time)."""
    calls = await ProviderCallCounters(ctx.env.redis).read()
    return calls.by_status.get(("shopify", "429"), 0)


async def _provider_throttle(ctx: DrillContext) -> None:
    neighbour = NoisyNeighbour(ctx.env.sim_admin, ctx.tenant.account, ctx.env.settings.provider.shopify_api_version)
    ctx.scratch["neighbour"] = neighbour
    before = ctx.scratch["429s_before"] = await _system_429s(ctx)
    await hold(ctx, [neighbour], ctx.options.degrade_s)
    ctx.scratch["system_429s"] = await _system_429s(ctx) - before


async def _throttle_noticed(ctx: DrillContext) -> bool:
    """Any signal of the system, or its workers counting a 429 to their own calls since the injection.

    A throttle the workers absorb by pacing their retries raises no job event, yet the
    system saw it: its provider-call counters (the Providers page, the provider-errors
    alarm's input) record each 429 as it arrives. The harness's neighbour's 429s are not
    in those counters.
    """
    if await system_noticed(ctx):
        return True
    before = ctx.scratch.get("429s_before")
    return before is not None and await _system_429s(ctx) > before


async def _throttle_checks(ctx: DrillContext) -> list[Check]:
    """The storm reached the system: its own calls were answered 429 (not only the neighbour's)."""
    storm = await NoisyNeighbour.rate_limited(ctx.env.sim_admin, ctx.tenant.account)
    reached = ctx.scratch.get("system_429s", 0)
    return [
        Check(
            "429 answers to the system's own calls during the storm",
            reached > 0,
            reached,
            "> 0",
            f"{storm} 429 answers on the shop in all",
        )
    ]


# --- S3 and the network --------------------------------------------------------------------------


async def _s3_outage(ctx: DrillContext) -> None:
    await hold(ctx, [ProxyDisabled(ctx.env.toxiproxy, "s3")], ctx.options.outage_s)


async def _partition(ctx: DrillContext) -> None:
    faults: list[Fault] = [
        Toxic(ctx.env.toxiproxy, proxy, "timeout", {"timeout": 0}, stream="upstream", name=f"chaos-partition-{proxy}")
        for proxy in ("postgres", "redis", "s3", "shopify")
    ]
    await hold(ctx, faults, ctx.options.outage_s)


DRILLS: dict[str, Drill] = {
    d.name: d
    for d in (
        Drill(
            "redis-outage",
            "redis",
            "redis-outage.md",
            "Redis cut 30 s, then killed and restarted from its AOF",
            _redis_outage,
            system_noticed,
            imports_flow,
            ci=True,
        ),
        Drill(
            "redis-latency",
            "redis",
            "redis-latency.md",
            "Redis 200 ms ± 50 ms each way plus 256 KB/s",
            _redis_latency,
            system_noticed,
            imports_flow,
            ci=True,
        ),
        Drill(
            "db-outage", "db", "database-outage.md", "PostgreSQL unreachable", _db_outage, system_noticed, imports_flow
        ),
        Drill(
            "db-latency",
            "db",
            "database-outage.md",
            "PostgreSQL 400 ms ± 100 ms each way",
            _db_latency,
            system_noticed,
            imports_flow,
        ),
        Drill(
            "db-timeout",
            "db",
            "database-outage.md",
            "PostgreSQL connections stall and close after 4 s",
            _db_timeout,
            system_noticed,
            imports_flow,
        ),
        Drill(
            "provider-down",
            "provider",
            "provider-down.md",
            "Provider answers 503 to every call (burst)",
            _provider_down,
            breaker_opened,
            breaker_recovered,
            _breaker_checks,
            ci=True,
            detect_within_s=60.0,
        ),
        Drill(
            "sick-shop",
            "provider",
            "sick-shop.md",
            "One shop answers 500 while other vendors of the provider import",
            sick_shop,
            breaker_opened,
            breaker_recovered,
            sick_shop_checks,
            detect_within_s=60.0,
        ),
        Drill(
            "provider-slow",
            "provider",
            "provider-down.md",
            "Provider 2.5 s ± 0.5 s per call",
            _provider_slow,
            system_noticed,
            imports_flow,
            detect_within_s=60.0,
        ),
        Drill(
            "provider-throttle",
            "provider",
            "provider-throttle.md",
            "A noisy neighbour drains the shop's API quota (429 storm)",
            _provider_throttle,
            _throttle_noticed,
            imports_flow,
            _throttle_checks,
            detect_within_s=60.0,
        ),
        Drill(
            "s3-outage",
            "s3",
            "s3-outage.md",
            "S3 away mid-import",
            _s3_outage,
            system_noticed,
            imports_flow,
            image_checks,
            detect_within_s=60.0,
        ),
        Drill(
            "network-partition",
            "network",
            "network-partition.md",
            "timeout toxics on PostgreSQL, Redis, S3 and the provider",
            _partition,
            system_noticed,
            imports_flow,
        ),
        Drill(
            "worker-sigkill",
            "worker",
            "worker-crash.md",
            "Repeated SIGKILL of busy workers",
            sigkill,
            lease_expired,
            crashes_measured,
            ci=True,
        ),
        Drill(
            "worker-sigterm",
            "worker",
            "graceful-shutdown.md",
            "SIGTERM: graceful drain, hand-back, resume",
            sigterm,
            worker_exited,
            crashes_measured,
            drain_checks,
            detect_within_s=45.0,
        ),
        Drill(
            "worker-oom",
            "oom",
            "worker-oom.md",
            "A busy worker over its memory limit is OOM-killed",
            oom,
            lease_expired,
            crashes_measured,
            oom_checks,
        ),
    )
}
