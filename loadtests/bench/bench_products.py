"""Figure 1: CPU per product of the pipeline against a raw asyncpg bulk upsert of the same rows.

Both are process CPU time of the bench process in the same run: the pipeline
(decode, mapping, parameter encoding, event loop and HTTP) over the products
it imported, the raw upsert over the rows it wrote.  Throughput is reported
beside it, since wall time on a shared machine says less about our own cost.
"""

from __future__ import annotations

import uuid

from loadtests.bench.context import UNLIMITED_REQUESTS_PER_MINUTE, BenchContext
from loadtests.bench.pipeline_products import PipelineRun, run_pipeline
from loadtests.bench.ratios import at_most, cpu_ratio, per_unit, rate_ratio
from loadtests.bench.raw_upsert import STRATEGIES, RawRun, connect, measure, prepare, read_rows
from loadtests.bench.report import Figure
from loadtests.bench.stack import StackCpu, cpu_text

GOAL = 2.0
"""Pipeline CPU per product at most twice the raw upsert's."""


async def products_figure(ctx: BenchContext, products: int) -> Figure:
    shop = await ctx.create_shop("products")
    await ctx.simulator.configure(shop.shop, {"products": products, "plan": "plus"})
    stack = StackCpu(ctx.settings)
    stack.start()
    pipeline = await run_pipeline(ctx, shop)
    stack_cpu = stack.used()
    raws = await _raw_runs(ctx, shop.company_id, ctx.settings.provider.shopify_page_size)
    return _figure(ctx, products, pipeline, raws, stack_cpu)


async def _raw_runs(ctx: BenchContext, source_company: uuid.UUID, batch_size: int) -> list[RawRun]:
    conn = await connect(ctx.settings.database)
    try:
        rows = await read_rows(conn, source_company)
        await prepare(conn)
        runs = []
        for method in STRATEGIES:
            company_id = await ctx.create_company(f"raw-{method}")
            runs.append(await measure(conn, method, company_id, rows, batch_size))
        return runs
    finally:
        await conn.close()


def cheapest(raws: list[RawRun]) -> RawRun:
    """The raw method that spent the least CPU per row: the baseline a ratio is taken against."""
    return min(raws, key=lambda run: run.cpu_seconds / run.rows if run.rows else float("inf"))


def products_ratio(pipeline: PipelineRun, baseline: RawRun) -> float | None:
    return cpu_ratio(pipeline.cpu_seconds, pipeline.products, baseline.cpu_seconds, baseline.rows)


def _figure(
    ctx: BenchContext, requested: int, pipeline: PipelineRun, raws: list[RawRun], stack_cpu: dict[str, float]
) -> Figure:
    best = cheapest(raws)
    ratio = products_ratio(pipeline, best)
    page_size = ctx.settings.provider.shopify_page_size
    return Figure(
        key="products",
        title="products: pipeline CPU per product vs raw asyncpg upsert",
        measured=f"{_ms(per_unit(pipeline.cpu_seconds, pipeline.products))} CPU/product",
        baseline=f"{_ms(per_unit(best.cpu_seconds, best.rows))} CPU/product ({best.method})",
        ratio=ratio,
        goal=f"≤ {GOAL}",
        met=at_most(ratio, GOAL),
        details=_details(requested, pipeline, raws, stack_cpu),
        notes=_notes(page_size),
        data={
            "products": pipeline.products,
            "pipeline": vars(pipeline) | {"per_second": pipeline.per_second, "job_id": str(pipeline.job_id)},
            "raw": [vars(run) | {"per_second": run.per_second} for run in raws],
            "baseline_method": best.method,
            "stack_cpu_seconds": stack_cpu,
            "page_size": page_size,
            "ratio": ratio,
            "throughput_ratio": rate_ratio(pipeline.per_second, max(run.per_second for run in raws)),
            "goal": GOAL,
        },
    )


def _ms(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds * 1000:.3f} ms"


def _details(
    requested: int, run: PipelineRun, raws: list[RawRun], stack_cpu: dict[str, float]
) -> list[tuple[str, str]]:
    details = [
        ("products requested / imported / failed", f"{requested} / {run.products} / {run.failed}"),
        ("pipeline", f"{run.per_second:,.0f} products/s ({run.products} in {run.seconds:.2f} s, {run.pages} pages)"),
        ("  provider page fetches (one page ahead)", f"{run.fetch_seconds:.2f} s ({_share(run.fetch_seconds, run)})"),
        ("  commits", f"{run.commit_seconds:.2f} s"),
        ("  CPU of the pipeline process", f"{run.cpu_seconds:.2f} s ({_share(run.cpu_seconds, run)})"),
        ("  CPU of other stack processes", cpu_text(stack_cpu)),
    ]
    details += [
        (
            f"raw asyncpg `{r.method}`",
            f"{_ms(per_unit(r.cpu_seconds, r.rows))} CPU/product, {r.per_second:,.0f} products/s ({r.seconds:.2f} s)",
        )
        for r in raws
    ]
    fastest = max(r.per_second for r in raws)
    throughput = rate_ratio(run.per_second, fastest)
    return [*details, ("throughput ratio (pipeline ÷ fastest raw)", "—" if throughput is None else f"{throughput:.2f}")]


def _notes(page_size: int) -> list[str]:
    return [
        f"Simulator shop on plan `plus` and the integration's `requests_per_minute` at "
        f"{UNLIMITED_REQUESTS_PER_MINUTE}: provider pacing is not what is measured.",
        f"Pages of {page_size} products, one commit per page, images off (so no product ids are read back). "
        "The simulator's catalog is read once before timing, so it serves pages it has already built (same "
        "bytes, headers and rate limits) like a fast real provider. The next page is fetched while the current one "
        "is mapped and "
        "written, so provider fetch time overlaps the pipeline's own work (it is not added to it). "
        "The raw baseline upserts the rows the pipeline wrote (same columns, "
        f"same JSONB) in batches of {page_size}, one transaction each, into another company, two ways.",
        "Ratio: CPU time of the bench process per product during the pipeline's page loop, over its CPU time per "
        "row during the raw upsert (the method that spent less is the baseline); same process, same run. "
        "PostgreSQL's own CPU is in neither side.",
        "The simulator runs on the same machine and its CPU time is part of the pipeline's wall time.",
    ]


def _share(seconds: float, run: PipelineRun) -> str:
    return f"{100 * seconds / run.seconds:.0f}% of wall time" if run.seconds else "—"
