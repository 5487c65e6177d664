"""One load run end to end: reset, vendors, locust, drain, autoscaling response, SLO verdict, accounting, report.

The stack must be running (``importctl load run`` brings it up); this module
only talks to it, and watches PostgreSQL on its direct port, so a fault on the
product's path never blinds the harness.  The verdict in report.json is the source
of truth: every SLO the run produced data for, zero-loss accounting, the in-flight
peak, slot utilisation while a backlog waited and the product's CPU-seconds per
job.  With a chaos plan (``loadtests/load/chaos_run.py``) the faults are injected
while locust drives, and the verdict judges zero loss, the latency SLO and that
every fault was carried out (``loadtests/load/chaos_verdict.py``).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from chaos.env import RedisProcess, WorkerPool, direct_settings
from control_plane.db.engine import create_engine, create_session_factory
from control_plane.db.repositories.load_runs import LoadRunRepository
from control_plane.integrations.metrics.ops_state import DECISIONS_KEPT, AutoscalerStore
from control_plane.integrations.queue import create_redis
from harness.load_accounting import Accounting, account_run
from harness.settings import HarnessSettings, LoadSettings
from harness.stack.apps import API
from harness.stack.paths import StackPaths
from loadtests.load.attempts import read_timelines
from loadtests.load.autoscale import follow_autoscaler, scale_back
from loadtests.load.chaos_plan import ChaosPlan
from loadtests.load.chaos_run import ChaosRun
from loadtests.load.chaos_verdict import judge_under_chaos
from loadtests.load.charts import draw_all
from loadtests.load.cpu import CpuMeter, CpuUsage
from loadtests.load.efficiency import judge_cpu, judge_utilisation
from loadtests.load.judging import judge, locust_figures
from loadtests.load.locust_process import run_locust
from loadtests.load.plan import Plan, read_outcomes
from loadtests.load.report import Report
from loadtests.load.reset import bucket_keys, reset_state
from loadtests.load.sampler import Sampler
from loadtests.load.scaling import record_response, response
from loadtests.load.server_timing import compare, submit_timing
from loadtests.load.utilisation import Slots, measure
from loadtests.load.vendors import Vendors, configure_shops, create_vendors
from loadtests.load.workload import SizeMix, plan_jobs


@dataclass(frozen=True)
class _Drivers:
    """What drives the stack besides locust: the key the sampler reads with, faults, the autoscaler's pool."""

    operator_key: str
    faults: ChaosRun | None
    autoscale: bool


@dataclass(frozen=True)
class RunResult:
    folder: Path
    report: Report


def size_mix(load: LoadSettings) -> SizeMix:
    return SizeMix(
        small_share=load.small_share,
        small_min=load.small_min,
        small_max=load.small_max,
        medium_max=load.medium_max,
        large_share=load.large_share,
        large_min=load.large_min,
        large_max=load.large_max,
        images_min=load.images_min,
        images_max=load.images_max,
        tier_weights=load.tier_weights,
    )


def configuration(settings: HarnessSettings) -> dict[str, object]:
    """The settings that bound throughput, as this process sees them (the stack's processes read the same env)."""
    return {
        "job_starts_per_minute": settings.rate_limit.job_starts_per_minute,
        "worker_processes": settings.stack.workers,
        "worker_concurrency": settings.worker.concurrency,
        "api_processes": settings.api.workers,
        "db_pool_per_process": f"{settings.database.pool_size} + {settings.database.max_overflow} overflow",
    }


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


async def run_load(
    settings: HarnessSettings,
    load: LoadSettings,
    *,
    run_id: str,
    empty_bucket: bool,
    chaos: ChaosPlan | None = None,
    chaos_processes: tuple[WorkerPool, RedisProcess] | None = None,
    autoscale: bool = False,
    echo: Callable[[str], None] = print,
) -> RunResult:
    """The run; with ``chaos`` its faults too, killing ``chaos_processes`` (the stack's workers and Redis if None);
    with ``autoscale`` local workers follow the autoscaler (``loadtests/load/autoscale.py``)."""
    folder = settings.reports.dir / "load" / run_id
    folder.mkdir(parents=True, exist_ok=True)
    report = Report(name=f"{load.jobs} jobs, {load.concurrency} concurrent", run_id=run_id, started_at=_now())
    report.extra["configuration"] = configuration(settings)
    echo(f"resetting state (bucket emptied: {empty_bucket})")
    await reset_state(settings, empty_bucket=empty_bucket, echo=echo)
    engine = create_engine(direct_settings(settings)[0])
    sessions = create_session_factory(engine)
    try:
        vendors = await _prepare(sessions, settings, load, run_id, folder, echo)
        shops = [job.shop for job in vendors.jobs]
        faults = None if chaos is None else ChaosRun(chaos, settings, shops, echo, chaos_processes)
        since = await _db_now(sessions)
        origin = time.time()
        meter = CpuMeter(StackPaths.from_settings(settings.stack).run)
        meter.start()
        drivers = _Drivers(vendors.operator_key, faults, autoscale)
        sampler, exit_code = await _drive(sessions, settings, load, drivers, folder, origin, echo)
        cpu = meter.stop()
        until = await _db_now(sessions)
        outcomes = read_outcomes(folder / "outcomes.jsonl")
        accepted = {uuid.UUID(o.job_id) for o in outcomes if o.job_id is not None}
        async with sessions() as session:
            accounting: Accounting = await account_run(session, accepted, vendors.catalogs, await bucket_keys(settings))
            jobs = await LoadRunRepository(session).jobs()
        windows = [] if faults is None else faults.windows
        report.charts = draw_all(folder, outcomes, sampler.samples, origin, windows)
        peak_live = max((x.live_workers for x in sampler.samples if x.live_workers is not None), default=None)
        await measure_scaling(report, sessions, settings, (run_id, peak_live), (since, until))
        await judge(report, sessions, load, since, until, outcomes, accounting, jobs, origin)
        report.extra["locust_exit_code"] = exit_code
        report.extra["figures"]["locust"] = locust_figures(folder / "locust_stats.csv")
        await _judge_efficiency(report, sessions, settings, (since, until), cpu, len(accepted))
        report.extra["samples"] = sampler.as_rows()
        if faults is not None:
            judge_under_chaos(report, faults.windows, faults.as_dict())
        report.finished_at = _now()
        report.write(folder)
        return RunResult(folder, report)
    finally:
        await engine.dispose()


async def measure_scaling(
    report: Report,
    sessions: async_sessionmaker[AsyncSession],
    settings: HarnessSettings,
    run: tuple[str, int | None],
    window: tuple[datetime, datetime],
) -> None:
    """The autoscaling response (``loadtests/load/scaling.py``), recorded for the SLO verifier before judging.

    ``run`` is the run id and the most live workers a sample saw.
    """
    (run_id, peak_live), (since, until) = run, window
    redis = create_redis(settings.redis)
    try:
        decisions = await AutoscalerStore(redis).recent(limit=DECISIONS_KEPT)
    finally:
        await redis.aclose()
    async with sessions() as session:
        events = await LoadRunRepository(session).events()
    found = response(decisions, events, settings.stack.workers, (since.timestamp(), until.timestamp()), peak_live)
    recorded = await record_response(sessions, found, run_id, until)
    report.extra["autoscaling_response"] = asdict(found) | {"recorded": bool(recorded)}


async def _judge_efficiency(
    report: Report,
    sessions: async_sessionmaker[AsyncSession],
    settings: HarnessSettings,
    window: tuple[datetime, datetime],
    cpu: CpuUsage,
    jobs: int,
) -> None:
    """Slot utilisation from the jobs' timelines, CPU per job, the submit's server-side durations."""
    since, until = window
    async with sessions() as session:
        timelines = read_timelines(await LoadRunRepository(session).events(), until.timestamp())
    slots = Slots(workers=settings.stack.workers, per_worker=settings.worker.concurrency)
    span = (since.timestamp(), until.timestamp())
    judge_utilisation(report, measure(timelines.attempts, timelines.waits, slots, span))
    judge_cpu(report, cpu, jobs)
    api_log = StackPaths.from_settings(settings.stack).log_file(API)
    figures = report.extra["figures"]
    figures["submit_ms_server_vs_client"] = compare(submit_timing(api_log, since, until), figures["locust"])


async def _prepare(
    sessions: async_sessionmaker[AsyncSession],
    settings: HarnessSettings,
    load: LoadSettings,
    run_id: str,
    folder: Path,
    echo: Callable[[str], None],
) -> Vendors:
    """Vendors in the job store and on the simulator, and the plan locust reads."""
    specs = plan_jobs(size_mix(load), load.jobs, load.seed, run_id.lower())
    async with sessions() as session:
        vendors = await create_vendors(session, settings, load, specs)
        await session.commit()
    await configure_shops(settings, specs, load)
    echo(f"{len(specs)} vendors ready ({sum(s.products for s in specs)} products in their catalogs)")
    plan = Plan(
        api=settings.api.base_url,
        concurrency=load.concurrency,
        spawn_rate=load.spawn_rate,
        run_time_s=load.run_time_s,
        poll_interval_s=load.poll_interval_s,
        poll_max_s=max(load.poll_max_s, load.poll_interval_s),
        results_file=str(folder / "outcomes.jsonl"),
        jobs=vendors.jobs,
    )
    plan.write(folder / "plan.json")
    return vendors


async def _drive(
    sessions: async_sessionmaker[AsyncSession],
    settings: HarnessSettings,
    load: LoadSettings,
    drivers: _Drivers,
    folder: Path,
    origin: float,
    echo: Callable[[str], None],
) -> tuple[Sampler, int]:
    """Locust until every job ended (or its time limit), then the drain; sampled all along, faults as planned."""
    auth = {"Authorization": f"Bearer {drivers.operator_key}"}
    async with httpx.AsyncClient(base_url=settings.api.base_url, headers=auth, timeout=10) as api:
        sampler = Sampler(sessions, api, load.sample_interval_s, started=origin)
        stop = asyncio.Event()
        background = [asyncio.create_task(sampler.run(stop))]
        if (faults := drivers.faults) is not None:
            echo(f"chaos plan {faults.plan.name}: " + "; ".join(fault.describe() for fault in faults.plan.faults))
            background.append(asyncio.create_task(faults.run(origin, stop)))
        if drivers.autoscale:
            background.append(asyncio.create_task(follow_autoscaler(settings, stop, echo)))
        echo(f"locust: {load.jobs} jobs, up to {load.concurrency} users, at most {load.run_time_s} s")
        try:
            exit_code = await run_locust(folder / "plan.json", folder, settings.api.base_url, folder / "locust.log")
            await _drain(sessions, load.drain_timeout_s, echo)
        finally:
            stop.set()
            await asyncio.gather(*background)  # a fault still on is lifted before anything is judged
            if drivers.autoscale:
                await scale_back(settings, echo)
    return sampler, exit_code


async def _drain(sessions: async_sessionmaker[AsyncSession], timeout_s: float, echo: Callable[[str], None]) -> None:
    """Wait (polling, with a deadline) for jobs still in flight after locust stopped."""
    deadline = time.monotonic() + timeout_s
    while True:
        async with sessions() as session:
            counts = await LoadRunRepository(session).status_counts()
        open_jobs = sum(n for status, n in counts.items() if status not in ("COMPLETED", "FAILED", "CANCELLED"))
        if open_jobs == 0 or time.monotonic() > deadline:
            echo(f"after locust: {open_jobs} jobs still open")
            return
        await asyncio.sleep(2.0)


async def _db_now(sessions: async_sessionmaker[AsyncSession]) -> datetime:
    async with sessions() as session:
        return await LoadRunRepository(session).database_now()


def _now() -> str:
    return datetime.now(UTC).isoformat()
