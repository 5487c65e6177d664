"""The drill catalogue: what each one breaks, how it knows the system noticed, and what recovery means.

Every drill targets a row of the seed's failure table and names the runbook
it exercises.  ``inject`` applies faults through :func:`apply` (so the runner
can always roll them back) and lifts them itself when their time is up.
"""

from __future__ import annotations

import asyncio
import random
import signal
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from chaos import probes
from chaos.context import DrillContext
from chaos.faults import Fault, ProviderFaults, ProxyDisabled, Toxic
from chaos.model import Check
from chaos.process_faults import MemoryLimit, RedisCrashed, WorkerKilled
from chaos.throttle import NoisyNeighbour
from chaos.waiting import poll_until

Step = Callable[[DrillContext], Awaitable[None]]
Probe = Callable[[DrillContext], Awaitable[bool]]
Checks = Callable[[DrillContext], Awaitable[list[Check]]]


async def _no_checks(_ctx: DrillContext) -> list[Check]:
    return []


@dataclass(frozen=True)
class Drill:
    name: str
    failure: str
    """Key of the seed failure row (:data:`chaos.model.SEED_FAILURES`)."""
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


async def redis_slow(ctx: DrillContext) -> bool:
    rtt = await probes.redis_round_trip_ms(ctx.env)
    return rtt is None or rtt > 150


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


async def _count_calls_while_open(ctx: DrillContext) -> None:
    """Provider calls the simulator received between two samples that both saw the breaker open."""
    ctx.scratch["calls_while_open"] = 0
    previous: tuple[str, int] | None = None
    while True:
        state = await probes.breaker_state(ctx.env, ctx.tenant)
        calls = await NoisyNeighbour.api_calls(ctx.env.sim_admin, ctx.tenant.account)
        if previous is not None and previous[0] == state == "open":
            ctx.scratch["calls_while_open"] += calls - previous[1]
        previous = (state, calls)
        await asyncio.sleep(0.1)


async def breaker_opened(ctx: DrillContext) -> bool:
    return await probes.breaker_state(ctx.env, ctx.tenant) == "open"


async def breaker_recovered(ctx: DrillContext) -> bool:
    return await probes.breaker_state(ctx.env, ctx.tenant) == "closed" and await flowing(ctx)


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


async def provider_slow(ctx: DrillContext) -> bool:
    rtt = await probes.provider_round_trip_ms(ctx.env)
    return rtt is None or rtt > 1000


async def _provider_throttle(ctx: DrillContext) -> None:
    neighbour = NoisyNeighbour(ctx.env.sim_admin, ctx.tenant.account, ctx.env.settings.provider.shopify_api_version)
    ctx.scratch["neighbour"] = neighbour
    await hold(ctx, [neighbour], ctx.options.degrade_s)


async def _throttle_checks(ctx: DrillContext) -> list[Check]:
    storm = await NoisyNeighbour.rate_limited(ctx.env.sim_admin, ctx.tenant.account)
    return [Check("429 answers during the storm", storm > 0, storm, "> 0", "the storm must really happen")]


# --- S3 and the network --------------------------------------------------------------------------


async def _s3_outage(ctx: DrillContext) -> None:
    await hold(ctx, [ProxyDisabled(ctx.env.toxiproxy, "s3")], ctx.options.outage_s)


async def _partition(ctx: DrillContext) -> None:
    faults: list[Fault] = [
        Toxic(ctx.env.toxiproxy, proxy, "timeout", {"timeout": 0}, stream="upstream", name=f"chaos-partition-{proxy}")
        for proxy in ("postgres", "redis", "s3", "shopify")
    ]
    await hold(ctx, faults, ctx.options.outage_s)


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
            peak_mib=round(fault.peak_mib, 1),
            limit_mib=fault.limit_mib,
        )
        died_at = fault.killed_at
    else:
        exited = await fault.wait_exit(ctx.options.drain_limit_s + 15)
        ctx.scratch["drain_s"] = exited
        ctx.note("observe", f"{worker} exited", after_s=None if exited is None else round(exited, 2))
        died_at = fault.killed_at
    died_wall = datetime.now(UTC) - timedelta(seconds=time.monotonic() - (died_at or time.monotonic()))
    restart = asyncio.create_task(lift(ctx, fault))
    resumed = await poll_until(lambda: jobs_resumed(ctx, held, died_wall), ctx.options.recovery_timeout_s)
    recoveries: list[float | None] = ctx.scratch.setdefault("recoveries", [])
    recoveries.append(None if resumed is None or died_at is None else resumed - died_at)
    await _note_resumed(ctx, worker, held, resumed, died_at)
    await restart


async def _note_resumed(
    ctx: DrillContext, worker: str, held: list[uuid.UUID], resumed: float | None, died_at: float | None
) -> None:
    ctx.note(
        "recover",
        f"jobs of {worker} resumed" if resumed else f"jobs of {worker} NOT resumed",
        jobs=len(held),
        after_s=None if resumed is None or died_at is None else round(resumed - died_at, 2),
    )


async def jobs_resumed(ctx: DrillContext, held: list[uuid.UUID], since: datetime) -> bool:
    """Every job in ``held`` finished, or runs again with a heartbeat after ``since``."""
    rows = {r.id: r for r in await probes.job_rows(ctx.env, held)}
    for job in held:
        row = rows.get(job)
        if row is None:
            return False
        status = str(getattr(row.status, "value", row.status))
        if status in probes.TERMINAL:
            continue
        if status != "RUNNING" or row.heartbeat_at is None or row.heartbeat_at <= since:
            return False
    return True


async def _sigkill(ctx: DrillContext) -> None:
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


async def _sigterm(ctx: DrillContext) -> None:
    worker = await busy_worker(ctx)
    if worker is None:
        ctx.note("note", "no worker held a job; nothing to drain")
        return
    await _crash(ctx, WorkerKilled(ctx.env.workers, worker, signal.SIGTERM, ctx.options.restart_delay_s), worker)
    ctx.mark_restored()


async def _drain_checks(ctx: DrillContext) -> list[Check]:
    drained = ctx.scratch.get("drain_s")
    limit = ctx.options.drain_limit_s
    return [
        Check(
            "graceful drain (s)", drained is not None and drained < limit, drained and round(drained, 2), f"< {limit:g}"
        )
    ]


async def _oom(ctx: DrillContext) -> None:
    worker = await busy_worker(ctx)
    if worker is None:
        ctx.note("note", "no worker held a job; no memory pressure to observe")
        return
    await _crash(
        ctx, MemoryLimit(ctx.env.workers, worker, ctx.options.oom_headroom_mib, ctx.options.restart_delay_s), worker
    )
    ctx.mark_restored()


async def _oom_checks(ctx: DrillContext) -> list[Check]:
    killed = ctx.scratch.get("oom_killed", False)
    return [Check("worker killed over its memory limit", bool(killed), killed, True)]


DRILLS: dict[str, Drill] = {
    d.name: d
    for d in (
        Drill(
            "redis-outage",
            "redis",
            "redis-outage.md",
            "Redis cut 30 s, then killed and restarted from its AOF",
            _redis_outage,
            api_unready,
            flowing,
            ci=True,
        ),
        Drill(
            "redis-latency",
            "redis",
            "redis-latency.md",
            "Redis 200 ms ± 50 ms each way plus 256 KB/s",
            _redis_latency,
            redis_slow,
            flowing,
            ci=True,
        ),
        Drill("db-outage", "db", "database-outage.md", "PostgreSQL unreachable", _db_outage, api_unready, flowing),
        Drill(
            "db-latency",
            "db",
            "database-outage.md",
            "PostgreSQL 400 ms ± 100 ms each way",
            _db_latency,
            jobs_noticed,
            flowing,
        ),
        Drill(
            "db-timeout",
            "db",
            "database-outage.md",
            "PostgreSQL connections stall and close after 4 s",
            _db_timeout,
            api_unready,
            flowing,
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
        ),
        Drill(
            "provider-slow",
            "provider",
            "provider-down.md",
            "Provider 2.5 s ± 0.5 s per call",
            _provider_slow,
            provider_slow,
            flowing,
        ),
        Drill(
            "provider-throttle",
            "provider",
            "provider-throttle.md",
            "A noisy neighbour drains the shop's API quota (429 storm)",
            _provider_throttle,
            jobs_noticed,
            flowing,
            _throttle_checks,
        ),
        Drill("s3-outage", "s3", "s3-outage.md", "S3 unreachable mid-import", _s3_outage, jobs_noticed, flowing),
        Drill(
            "network-partition",
            "network",
            "network-partition.md",
            "timeout toxics on PostgreSQL, Redis, S3 and the provider",
            _partition,
            api_unready,
            flowing,
        ),
        Drill(
            "worker-sigkill",
            "worker",
            "worker-crash.md",
            "Repeated SIGKILL of busy workers",
            _sigkill,
            lease_expired,
            crashes_measured,
            ci=True,
        ),
        Drill(
            "worker-sigterm",
            "worker",
            "graceful-shutdown.md",
            "SIGTERM: graceful drain, hand-back, resume",
            _sigterm,
            jobs_noticed,
            crashes_measured,
            _drain_checks,
        ),
        Drill(
            "worker-oom",
            "oom",
            "worker-oom.md",
            "A busy worker over its memory limit is OOM-killed",
            _oom,
            lease_expired,
            crashes_measured,
            _oom_checks,
        ),
    )
}
