"""Figure "submit": submissions per second through a real API process against raw writes of the same rows.

N vendors (one company, integration and key each) submit their share of the
submissions at once through a uvicorn API on the bench database and Redis db;
then the same rows are written by plain asyncpg at the same concurrency and
filed by the dispatcher's script.  No worker runs, so every job stays QUEUED;
the API is stopped before the baseline starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]

from control_plane.integrations.dispatcher import FairDispatcher
from control_plane.settings import LimitSettings, OpsSettings
from loadtests.bench.api_process import ApiProcess
from loadtests.bench.context import BenchContext
from loadtests.bench.procstat import cpu_used, tree_cpu_seconds
from loadtests.bench.ratios import at_least, per_unit, rate_ratio, spread
from loadtests.bench.raw_submit import count_written, create_pool, read_template, submit_raw
from loadtests.bench.report import Figure
from loadtests.bench.submit_clients import VENDOR_TIER, SubmitRun, Vendor, create_vendors, submit_through_api

GOAL = 0.5
WARM_UP_PER_API_PROCESS = 4
"""Untimed submissions per API process first (both sides), so lazy start-up work is not in the figure."""


@dataclass(frozen=True)
class Side:
    """One side of the figure: its run, the CPU it cost, and what it left in PostgreSQL and Redis."""

    run: SubmitRun
    cpu_seconds: float
    """The API processes' CPU for the API; the bench process's own for the baseline (it is its own server)."""
    queued_rows: int
    events: int
    filed: int

    @property
    def cpu_per_submission_ms(self) -> float | None:
        value = per_unit(self.cpu_seconds, self.run.accepted)
        return None if value is None else value * 1000


def limit_overrides(limits: LimitSettings, ops: OpsSettings, per_vendor: int, depth: int) -> dict[str, str]:
    """API settings raised so that quotas and admission refuse none of the figure's submissions.

    ``per_vendor`` jobs stay active per company (no worker runs) and arrive in
    one burst; ``depth`` jobs wait in the queue at the end, and PRO imports are
    refused from the Critical tier on.
    """
    overrides = {}
    if per_vendor > limits.max_active_imports:
        overrides["ICP_LIMITS_MAX_ACTIVE_IMPORTS"] = str(per_vendor)
    if per_vendor > limits.api_burst:
        overrides["ICP_LIMITS_API_BURST"] = str(per_vendor)
    if depth >= ops.critical_at:
        overrides["ICP_OPS_CRITICAL_AT"] = str(depth + 1)
        overrides["ICP_OPS_OVERLOAD_AT"] = str(max(ops.overload_at, depth + 1))
    return overrides


async def submit_figure(ctx: BenchContext, clients: int, submissions: int, folder: Path) -> Figure:
    vendors = await create_vendors(ctx, clients)
    shares = spread(submissions, clients)
    workers = ctx.settings.api.workers
    warm_up = [1] * min(clients, WARM_UP_PER_API_PROCESS * workers)
    dispatcher = FairDispatcher(ctx.redis, ctx.settings.redis.queue_name)
    waiting = await dispatcher.counts()
    depth = waiting.ready + waiting.delayed + sum(warm_up) + submissions
    overrides = limit_overrides(ctx.settings.limits, ctx.settings.ops, max(shares) + 1, depth)
    async with ApiProcess(ctx.settings, folder / "api.log", workers=workers, overrides=overrides) as api:
        first = await submit_through_api(api.base_url, vendors[: len(warm_up)], warm_up)
        before = tree_cpu_seconds(api.pid)
        api_run = await submit_through_api(api.base_url, vendors, shares)
        api_cpu = cpu_used(before, tree_cpu_seconds(api.pid))
    if not first.job_ids:
        raise RuntimeError(f"the bench API accepted no submission: {first.statuses}; see {folder / 'api.log'}")
    api_side, raw_side = await _raw_side(ctx, dispatcher, first, (api_run, api_cpu), vendors, shares, warm_up)
    return _figure(ctx, clients, submissions, api_side, raw_side, overrides)


async def _raw_side(
    ctx: BenchContext,
    dispatcher: FairDispatcher,
    first: SubmitRun,
    api: tuple[SubmitRun, float],
    vendors: list[Vendor],
    shares: list[int],
    warm_up: list[int],
) -> tuple[Side, Side]:
    """The baseline (warmed up as the API was), and both sides with what they left behind, counted alike."""
    db = ctx.settings.database
    pool = await create_pool(db, (db.pool_size + db.max_overflow) * ctx.settings.api.workers)
    try:
        async with pool.acquire() as conn:
            template = await read_template(conn, first.job_ids[0])
        await submit_raw(pool, dispatcher, template, vendors[: len(warm_up)], warm_up)
        raw_run = await submit_raw(pool, dispatcher, template, vendors, shares)
        async with pool.acquire() as conn:
            api_side = await _side(conn, dispatcher, *api)
            return api_side, await _side(conn, dispatcher, raw_run, raw_run.client_cpu_seconds)
    finally:
        await pool.close()


async def _side(conn: asyncpg.Connection, dispatcher: FairDispatcher, run: SubmitRun, cpu_seconds: float) -> Side:
    queued, events = await count_written(conn, run.job_ids)
    filed = sum((await dispatcher.holding(run.job_ids)).values())
    return Side(run, cpu_seconds, queued, events, filed)


def _figure(
    ctx: BenchContext, clients: int, submissions: int, api: Side, raw: Side, overrides: dict[str, str]
) -> Figure:
    ratio = rate_ratio(api.run.per_second, raw.run.per_second)
    return Figure(
        key="submit",
        title=f"submissions/s: API vs raw asyncpg + Redis filing, {clients} clients",
        measured=f"{api.run.per_second:,.1f}/s",
        baseline=f"{raw.run.per_second:,.1f}/s (asyncpg + dispatcher script)",
        ratio=ratio,
        goal=f"≥ {GOAL}",
        met=at_least(ratio, GOAL),
        details=_details(submissions, api, raw),
        notes=_notes(ctx, clients, overrides),
        data={
            "clients": clients,
            "submissions": submissions,
            "api_processes": ctx.settings.api.workers,
            "api": _side_data(api),
            "raw": _side_data(raw),
            "overrides": overrides,
            "ratio": ratio,
            "goal": GOAL,
        },
    )


def _side_data(side: Side) -> dict[str, object]:
    run = side.run
    return {
        "attempted": run.attempted,
        "accepted": run.accepted,
        "seconds": run.seconds,
        "per_second": run.per_second,
        "p50_ms": run.latency_ms(0.5),
        "p95_ms": run.latency_ms(0.95),
        "statuses": run.statuses,
        "cpu_seconds": side.cpu_seconds,
        "cpu_ms_per_submission": side.cpu_per_submission_ms,
        "client_cpu_seconds": run.client_cpu_seconds,
        "queued_rows": side.queued_rows,
        "events": side.events,
        "filed": side.filed,
    }


def _details(submissions: int, api: Side, raw: Side) -> list[tuple[str, str]]:
    return [
        ("submissions requested / accepted by the API", f"{submissions} / {api.run.accepted}"),
        ("API answers", ", ".join(f"{code}: {n}" for code, n in sorted(api.run.statuses.items()))),
        ("API", _rate_text(api)),
        ("  CPU of the API processes per submission", _ms(api.cpu_per_submission_ms)),
        ("  CPU of the bench process (the HTTP clients) per submission", _ms(_client_ms(api.run))),
        ("  left behind: QUEUED rows / events / filed in a line", _left(api)),
        ("raw asyncpg + dispatcher script", _rate_text(raw)),
        ("  CPU of the bench process per raw submission", _ms(raw.cpu_per_submission_ms)),
        ("  left behind: QUEUED rows / events / filed in a line", _left(raw)),
    ]


def _rate_text(side: Side) -> str:
    run = side.run
    return (
        f"{run.per_second:,.1f} submissions/s ({run.accepted} in {run.seconds:.2f} s), "
        f"p50 {_ms(run.latency_ms(0.5))}, p95 {_ms(run.latency_ms(0.95))}"
    )


def _client_ms(run: SubmitRun) -> float | None:
    value = per_unit(run.client_cpu_seconds, run.accepted)
    return None if value is None else value * 1000


def _left(side: Side) -> str:
    return f"{side.queued_rows} / {side.events} / {side.filed}"


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f} ms"


def _notes(ctx: BenchContext, clients: int, overrides: dict[str, str]) -> list[str]:
    db, workers = ctx.settings.database, ctx.settings.api.workers
    raised = ", ".join(f"`{name}={value}`" for name, value in sorted(overrides.items())) or "none needed"
    return [
        f"{clients} vendors, each a {VENDOR_TIER.value} company with one integration and one vendor API key, submit "
        f"their share one request after another over their own connection, all at once, to a uvicorn API of "
        f"{workers} processes (`ICP_API_WORKERS`) on the bench database and Redis db; "
        f"{WARM_UP_PER_API_PROCESS} untimed submissions per API process go first on both sides.",
        f"API limits raised for the figure: {raised}. No worker consumes the bench queue, so every job stays QUEUED.",
        "Rates and latencies count accepted submissions (202); a refused one (503 when the API's database pool is "
        "exhausted, for instance; the API log beside this report says why) is counted by status, never retried.",
        "Raw: the job row as the API stored it (every column, already QUEUED with `queued_at`) and its `created` and "
        "`queued` events in one transaction of plain asyncpg, then `FairDispatcher.file` (the dispatcher's Lua "
        f"script) at the same concurrency, over a pool of {(db.pool_size + db.max_overflow) * workers} connections "
        "(the API processes' pool size plus overflow, together). No authentication, admission, quota check or ORM.",
        "The clients run in the bench process on the same cores as the API, PostgreSQL and Redis; the API's CPU is "
        "its processes' user plus system time during the timed submissions.",
    ]
