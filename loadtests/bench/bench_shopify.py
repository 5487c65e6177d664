"""Figure "shopify" (on request): a GraphQL import on Shopify's standard plan against a REST import of the same shop.

A 600-product shop with 1-100 variants and up to 25 images a product, on the
simulator's standard plan, is imported by a real worker twice, into two
companies: once over REST, once over GraphQL. The figure is the share of
GraphQL answers that were THROTTLED (goal: at most 2%, so the client paces on
the cost bucket instead of being refused), and whether the two companies hold
exactly the same catalog (every stored product, variant and image field).
Slow by design (Shopify's cost budget paces the GraphQL import): run it with
``python -m loadtests.bench --include shopify``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from control_plane.db.models import ImportJob
from control_plane.domain.jobs import JobStatus
from loadtests.bench.bench_worker import enqueue, wait_finished
from loadtests.bench.catalog_parity import catalog_of, differences
from loadtests.bench.context import BenchContext
from loadtests.bench.report import Figure
from loadtests.bench.worker_process import WorkerProcess

GOAL_THROTTLED_SHARE = 0.02
DEADLINE_S = 3600.0
"""Shopify's standard plan restores 100 points a second and a product with ~50 variants costs a few hundred:
the GraphQL import of 600 such products takes about half an hour by Shopify's own budget."""
CATALOG: dict[str, Any] = {
    "plan": "standard",
    "variants_min": 1,
    "variants_max": 100,
    "images_min": 0,
    "images_max": 25,
}


async def shopify_figure(ctx: BenchContext, products: int, folder: Path) -> Figure:
    rest = await ctx.create_shop("shopify-rest", api="rest")
    graphql = await ctx.create_shop("shopify-graphql", shop=rest.shop)
    await ctx.simulator.configure(rest.shop, {**CATALOG, "products": products})
    async with WorkerProcess(ctx.settings, ctx.redis, folder / "shopify-worker.log"):
        started = time.monotonic()
        rest_job = await wait_finished(ctx, await enqueue(ctx, rest), deadline_s=DEADLINE_S)
        rest_s = time.monotonic() - started
        before = await ctx.simulator.stats(rest.shop)
        started = time.monotonic()
        graphql_job = await wait_finished(ctx, await enqueue(ctx, graphql), deadline_s=DEADLINE_S)
        graphql_s = time.monotonic() - started
    after = await ctx.simulator.stats(rest.shop)
    async with ctx.sessions() as session:
        diffs = differences(await catalog_of(session, rest.company_id), await catalog_of(session, graphql.company_id))
    outcomes = _delta(after.get("graphql_outcomes", {}), before.get("graphql_outcomes", {}))
    answers = sum(outcomes.values())
    share = outcomes.get("throttled", 0) / answers if answers else None
    completed = rest_job.status is JobStatus.COMPLETED and graphql_job.status is JobStatus.COMPLETED
    return Figure(
        key="shopify",
        title=f"Shopify GraphQL, standard plan, {products:,} products: THROTTLED share and REST parity",
        measured="—" if share is None else f"{share:.2%} THROTTLED of {answers:,} answers",
        baseline=f"REST import of the same shop: {len(diffs)} differences",
        ratio=None,
        goal=f"≤ {GOAL_THROTTLED_SHARE:.0%} THROTTLED, 0 differences",
        met=completed and share is not None and share <= GOAL_THROTTLED_SHARE and not diffs,
        details=[
            ("REST job", _job_line(rest_job, rest_s)),
            ("GraphQL job", _job_line(graphql_job, graphql_s)),
            ("GraphQL answers", ", ".join(f"{k} {v:,}" for k, v in sorted(outcomes.items())) or "none"),
            ("points charged", f"{after.get('graphql_points_charged', 0) - before.get('graphql_points_charged', 0):,}"),
            *[("difference", line) for line in diffs[:10]],
        ],
        notes=[
            "One simulator shop, two companies: the REST import runs first, then the GraphQL import, both by one "
            "real worker process; the simulator's GraphQL counters are read before and after the GraphQL import.",
        ],
        data={
            "products": products,
            "catalog": CATALOG,
            "throttled_share": share,
            "graphql_outcomes": outcomes,
            "differences": diffs,
            "rest_seconds": rest_s,
            "graphql_seconds": graphql_s,
            "rest_status": rest_job.status.value,
            "graphql_status": graphql_job.status.value,
        },
    )


def _delta(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {key: after[key] - before.get(key, 0) for key in after if after[key] - before.get(key, 0)}


def _job_line(job: ImportJob, seconds: float) -> str:
    line = f"{job.status.value}: {job.products_processed} products, {job.images_processed} images in {seconds:.0f} s"
    return line + (f"; last error {job.last_error[:200]}" if job.last_error else "")
