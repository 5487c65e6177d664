"""Figure 1: products per second through the pipeline against a raw asyncpg bulk upsert of the same rows."""

from __future__ import annotations

import uuid

from loadtests.bench.context import UNLIMITED_REQUESTS_PER_MINUTE, BenchContext
from loadtests.bench.pipeline_products import PipelineRun, run_pipeline
from loadtests.bench.raw_upsert import STRATEGIES, RawRun, connect, measure, prepare, read_rows
from loadtests.bench.report import Figure
from loadtests.bench.stack import StackCpu, cpu_text

GOAL = 0.6


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


def _figure(
    ctx: BenchContext, requested: int, pipeline: PipelineRun, raws: list[RawRun], stack_cpu: dict[str, float]
) -> Figure:
    best = max(raws, key=lambda run: run.per_second)
    ratio = pipeline.per_second / best.per_second if best.per_second else None
    page_size = ctx.settings.provider.shopify_page_size
    return Figure(
        key="products",
        title="products/s: pipeline vs raw asyncpg upsert",
        measured=f"{pipeline.per_second:,.0f}/s",
        baseline=f"{best.per_second:,.0f}/s ({best.method})",
        ratio=ratio,
        goal=f"≥ {GOAL}",
        met=None if ratio is None else ratio >= GOAL,
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
            "goal": GOAL,
        },
    )


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
    return details + [
        (f"raw asyncpg `{r.method}`", f"{r.per_second:,.0f} products/s ({r.seconds:.2f} s)") for r in raws
    ]


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
        f"same JSONB) in batches of {page_size}, one transaction each, into another company; the faster of its two "
        "methods is the baseline.",
        "The simulator runs on the same machine and its CPU time is part of the pipeline's wall time.",
    ]


def _share(seconds: float, run: PipelineRun) -> str:
    return f"{100 * seconds / run.seconds:.0f}% of wall time" if run.seconds else "—"
