"""Run one drill: hypothesis, workload, injection, observation, rollback (always), hypothesis, invariants, report.

Rollback runs in ``finally``: an exception, a failed probe or Ctrl-C (the task
is cancelled) still lifts every fault and restarts every killed process, and
then resets every proxy to its clean state.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from chaos import probes, slo_evidence
from chaos.context import DrillContext
from chaos.drill_kit import Drill
from chaos.drills import DRILLS
from chaos.env import ChaosEnv, create_tenant
from chaos.faults import reset_proxies
from chaos.invariants import canary_check, check_all
from chaos.model import SEED_FAILURES, DrillRecord
from chaos.recovery import CANARY, start_canary
from chaos.report import run_id
from chaos.waiting import poll_until
from chaos.workload import WorkloadDriver, WorkloadSpec, submissions_check
from harness.settings.chaos import ChaosSettings

Reporter = Callable[[str], None]
CANARY_PRODUCTS = 10


async def run_drill(
    env: ChaosEnv,
    name: str,
    options: ChaosSettings,
    report: Reporter = print,
    on_done: Callable[[DrillRecord], object] | None = None,
) -> DrillRecord:
    """Run drill ``name``; ``on_done`` receives the record even when the run is interrupted (to write it)."""
    drill = DRILLS[name]
    started = datetime.now(UTC)
    rid = run_id(started, name)
    record = DrillRecord(name, rid, drill.runbook, SEED_FAILURES[drill.failure], started)
    slug = f"chaos-{rid.lower().replace('t', '-', 1)}"[:100]
    oom, throttle = name == "worker-oom", name == "provider-throttle"
    tenant = await create_tenant(
        env,
        slug,
        products=options.products,
        # worker-oom: what grows a worker is decoding big images; PNG has no reduced-scale decoding (JPEG
        # does), so each one holds 12 MiB while it is decoded; one image per product at most bounds the CPU
        images_max=min(options.images_max, 1) if oom else options.images_max,
        latency_ms=options.provider_latency_ms,
        api="rest" if throttle else "graphql",
        # the throttle drill's storm must drain the REST bucket, which a standard shop leaks at 2 calls/s
        plan="standard" if throttle else options.shop_plan,
        image_px=2048 if oom else 320,
        image_format="png" if oom else "jpeg",
    )
    driver = WorkloadDriver(env.api, tenant, WorkloadSpec(options.jobs, options.submit_interval_s, options.seed), rid)
    canary = await _canary_vendor(env, f"{slug}-canary", options, rid)
    record.conditions = conditions(env, options, plan="standard" if throttle else options.shop_plan)
    record.detect_target_s = drill.detect_within_s
    ctx = DrillContext(env, tenant, record, options, driver, options.products, canary)
    try:
        await _lifecycle(ctx, drill, report)
    except (asyncio.CancelledError, KeyboardInterrupt):
        record.aborted = record.aborted or "interrupted by the operator; faults rolled back"
        raise
    except Exception as exc:  # a wait that timed out, a probe that broke: the run proves nothing, and says why
        record.aborted = record.aborted or f"drill raised {type(exc).__name__}: {exc}"[:300]
        report(f"{name}: aborted: {record.aborted}")
    finally:
        record.finished_at = datetime.now(UTC)
        record.workload = {**driver.result.as_dict(), "unprompted_worker_exits": ctx.scratch.get("unprompted_exits", 0)}
        if on_done is not None:
            on_done(record)
    return record


async def _canary_vendor(env: ChaosEnv, slug: str, options: ChaosSettings, rid: str) -> WorkloadDriver:
    """A second company with a small healthy shop, whose import after the restore times recovery."""
    vendor = await create_tenant(
        env,
        slug,
        products=CANARY_PRODUCTS,
        images_max=0,
        latency_ms=options.provider_latency_ms,
        plan=options.shop_plan,
    )
    return WorkloadDriver(env.api, vendor, WorkloadSpec(0, options.submit_interval_s, options.seed), f"{rid}-canary")


def conditions(env: ChaosEnv, options: ChaosSettings, *, plan: str) -> dict[str, Any]:
    """The figures' context, for whoever reads the report later (the runbooks quote it)."""
    worker = env.settings.worker
    return {
        "jobs": options.jobs,
        "products": options.products,
        "shop_plan": plan,
        "provider_latency_ms": options.provider_latency_ms,
        "submit_interval_s": options.submit_interval_s,
        "workers": len(env.workers.live()),
        "breaker_open_s": env.settings.breaker.open_seconds,
        "lease_ttl_s": worker.lease_ttl_s,
        "heartbeat_interval_s": worker.heartbeat_interval_s,
        "lease_sweep_interval_s": worker.lease_sweep_interval_s,
        "reconcile_interval_s": worker.reconcile_interval_s,
    }


async def _lifecycle(ctx: DrillContext, drill: Drill, report: Reporter) -> None:
    record, env, options = ctx.record, ctx.env, ctx.options
    record.before = await probes.steady_state(env, ctx.tenant, options.min_workers)
    ctx.note("hypothesis", "steady state before", ok=all(c.ok for c in record.before))
    if not all(c.ok for c in record.before):
        record.aborted = "steady state did not hold before injection: " + ", ".join(
            f"{c.name}={c.value}" for c in record.before if not c.ok
        )
        report(f"{drill.name}: aborted: {record.aborted}")
        return
    policy = asyncio.create_task(restart_policy(ctx, sorted(env.workers.live())))
    workload = asyncio.create_task(ctx.workload.run())
    ctx.note("workload", "started", jobs=options.jobs, seed=options.seed, interval_s=options.submit_interval_s)
    detector: asyncio.Task[float | None] | None = None
    try:
        if await poll_until(lambda: _some_job_running(ctx), 90.0) is None:
            record.aborted = "no job of the workload started within 90 s: nothing to break under"
            report(f"{drill.name}: aborted: {record.aborted}")
            return
        report(f"{drill.name}: injecting ({drill.summary})")
        detector = asyncio.create_task(_detect(ctx, drill))
        try:
            await drill.inject(ctx)
        except Exception as exc:  # a drill step that broke: roll back, check, and report it as a failure
            record.aborted = f"drill step failed: {type(exc).__name__}: {exc}"[:300]
            ctx.note("note", "drill step failed", error=str(exc)[:200])
            report(f"{drill.name}: {record.aborted}")
        if ctx.restored_at is None:
            ctx.mark_restored()
        if "recoveries" not in ctx.scratch:
            start_canary(ctx)  # recovery: a job submitted from now on must start
        report(f"{drill.name}: fault lifted; waiting for recovery")
        if "recoveries" in ctx.scratch:  # process drills timed each crash themselves
            measured = ctx.scratch["recoveries"]
            record.recover_s = None if None in measured or not measured else max(measured)
        else:
            recovered = await poll_until(lambda: drill.recovered(ctx), options.recovery_timeout_s)
            if recovered is not None:
                record.recover_s = recovered - (ctx.restored_at or recovered)
                ctx.note("recover", "recovered", after_s=round(record.recover_s, 2))
        await _finish_detection(ctx, detector)
        report(f"{drill.name}: recovery {_seconds(record.recover_s)}; waiting for every job to finish")
        await asyncio.wait_for(asyncio.shield(workload), options.settle_timeout_s)
        await _canary_accounted(ctx)
        await _settle(ctx)
    finally:
        policy.cancel()
        await _rollback(ctx, report)
        workload.cancel()
        if (canary := ctx.scratch.get(CANARY)) is not None:
            canary.cancel()
        if detector is not None:
            detector.cancel()
    record.after = await probes.steady_state(env, ctx.tenant, options.min_workers)
    ctx.note("hypothesis", "steady state after", ok=all(c.ok for c in record.after))
    record.invariants = [submissions_check(ctx.workload.result), await canary_check(env, ctx.canary.result)]
    record.invariants += await check_all(env, ctx.tenant, ctx.workload.result, ctx.catalog_size)
    record.invariants += await drill.checks(ctx)
    slo_evidence.measure(record, ctx.scratch, options)


async def _canary_accounted(ctx: DrillContext) -> None:
    """The canary's submission is over (accepted or given up), so the invariants account for it too."""
    canary = ctx.scratch.get(CANARY)
    if canary is not None:
        await asyncio.wait_for(asyncio.shield(canary), ctx.options.settle_timeout_s)


async def _settle(ctx: DrillContext) -> None:
    """Wait (polling, bounded) until every job is terminal; the bound covers the workers' whole retry ladder.

    A job whose attempts failed during the fault may still owe its retries (5 s, 25 s, 125 s by default):
    the settle window is ``settle_timeout_s`` plus that ladder, so a slow but honest retry is never cut short.
    """
    window = ctx.options.settle_timeout_s + sum(ctx.env.settings.worker.retry_delays_s)
    started = time.monotonic()
    settled = await poll_until(lambda: probes.all_settled(ctx.env, ctx.job_ids), window, every_s=1.0)
    what = "settled" if settled is not None else f"NOT settled within {window:g} s"
    after = round((settled or time.monotonic()) - started, 1)
    ctx.note("workload", what, after_s=after, window_s=window, **ctx.workload.result.as_dict())


async def restart_policy(ctx: DrillContext, expected: list[str]) -> None:
    """The orchestrator's restart policy (Kubernetes ``restartPolicy: Always``): a worker that is gone comes back.

    One watcher per worker, so restarts run side by side like pods do.  Each restart is on the
    timeline; one the drill did not cause (the worker exited on its own) is also counted, since it
    means recovery leaned on the orchestrator.
    """
    await asyncio.gather(*(_keep_alive(ctx, name) for name in expected))


async def _keep_alive(ctx: DrillContext, name: str) -> None:
    workers = ctx.env.workers
    while True:
        await asyncio.sleep(1.0)
        if name in workers.live():
            continue
        deliberate = name in ctx.scratch.get("killing", set())
        await asyncio.sleep(ctx.options.restart_delay_s)
        if name in workers.live():
            continue
        if not deliberate:
            ctx.scratch["unprompted_exits"] = ctx.scratch.get("unprompted_exits", 0) + 1
        reason = "killed by the drill" if deliberate else "exited on its own"
        ctx.note("orchestrator", f"restart {name}", reason=reason)
        try:
            await asyncio.to_thread(workers.restart, name)
        except Exception as exc:  # not ready yet (its dependency is still away): try again
            ctx.note("orchestrator", f"restart of {name} failed", error=str(exc)[:160])


def _seconds(value: float | None) -> str:
    return "not seen" if value is None else f"after {value:.1f} s"


async def _some_job_running(ctx: DrillContext) -> bool:
    return bool(await probes.running_jobs(ctx.env, ctx.job_ids))


async def _detect(ctx: DrillContext, drill: Drill) -> float | None:
    seen = await poll_until(lambda: drill.detected(ctx), ctx.options.recovery_timeout_s + 600, every_s=0.2)
    if seen is not None and ctx.injected_at is not None:
        ctx.record.detect_s = max(0.0, seen - ctx.injected_at)
        ctx.note("detect", "fault detected", after_s=round(ctx.record.detect_s, 2))
    return seen


async def _finish_detection(ctx: DrillContext, detector: asyncio.Task[float | None]) -> None:
    """Give detection a last short chance, then stop it: a fault nobody noticed stays undetected (None)."""
    with contextlib.suppress(TimeoutError, asyncio.CancelledError):
        await asyncio.wait_for(asyncio.shield(detector), 2.0)


async def _rollback(ctx: DrillContext, report: Reporter) -> None:
    """Lift whatever is still injected (newest first), then reset every proxy; never raises."""
    for fault in reversed(list(ctx.scratch.get("active", []))):
        try:
            await fault.rollback()
            ctx.note("rollback", f"{fault.name} (safety net)", **fault.attributes())
        except BaseException as exc:
            report(f"rollback of {fault.name} failed: {exc!r}")
    if not ctx.env.reset_all_proxies:
        return
    try:
        await reset_proxies(ctx.env.settings, ctx.env.toxiproxy)
    except BaseException as exc:
        report(f"proxy reset failed: {exc!r}")
