"""One benchmark run: set up the bench's corner of the stack, measure each figure, report, clean up."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.settings import HarnessSettings, load_harness_settings
from loadtests.bench.bench_images import images_figure
from loadtests.bench.bench_products import products_figure
from loadtests.bench.bench_shopify import shopify_figure
from loadtests.bench.bench_submit import submit_figure
from loadtests.bench.bench_worker import worker_figure
from loadtests.bench.context import BenchContext
from loadtests.bench.environment import Target, bench_settings, check_target
from loadtests.bench.report import Figure, Report, text_table, write

FIGURES = ("products", "images", "worker", "submit")
ON_REQUEST = ("shopify",)
"""Figures left out unless asked for with ``--include`` (they take long)."""
BUSY_LOAD_SHARE = 0.5


@dataclass(frozen=True)
class Options:
    products: int = 5_000
    images: int = 200
    worker_products: int = 10_000
    worker_images: int = 1
    skip: frozenset[str] = frozenset()
    include: frozenset[str] = frozenset()
    shopify_products: int = 600
    submit_clients: int = 200
    submissions: int = 2_000
    out: Path = Path("artifacts/bench")
    target: Target = field(default_factory=Target)


def _settings_summary(settings: HarnessSettings, options: Options) -> dict[str, Any]:
    return {
        "products": options.products,
        "images": options.images,
        "worker_products": options.worker_products,
        "worker_images_per_product": options.worker_images,
        "skipped": sorted(options.skip),
        "included": sorted(options.include),
        "database": settings.database.name,
        "redis_db": settings.redis.database,
        "queue": settings.redis.queue_name,
        "bucket": settings.s3.bucket,
        "submit_clients": options.submit_clients,
        "submissions": options.submissions,
        "api_workers": settings.api.workers,
        "shopify_page_size": settings.provider.shopify_page_size,
        "image_concurrency": settings.worker.image_concurrency,
        "image_executor": settings.images.executor,
        "image_executor_workers": settings.images.executor_workers,
        "worker_concurrency": settings.worker.concurrency,
    }


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _warn_if_busy() -> None:
    """Figures are only comparable on a quiet machine; say so when it is not."""
    load, cpus = os.getloadavg()[0], os.cpu_count() or 1
    if load > BUSY_LOAD_SHARE * cpus:
        say(f"note: load average {load:.2f} on {cpus} CPUs before the run; other work will skew the figures")


async def run(options: Options) -> Report:
    started = datetime.now(UTC)
    run_id = started.strftime("%Y%m%dT%H%M%SZ")
    base = load_harness_settings()
    check_target(base, options.target)
    target = replace(options.target, bucket=f"{options.target.bucket}-{run_id.lower()}")
    settings = bench_settings(base, target)
    folder = options.out / run_id
    report = Report(run_id=run_id, started_at=started.isoformat(), settings=_settings_summary(settings, options))
    _warn_if_busy()
    async with BenchContext(settings, run_id.lower()) as ctx:
        for figure in await _measure(ctx, options, folder):
            report.figures.append(figure)
    markdown_path, json_path = write(report, folder)
    print(text_table(report))
    say(f"report: {markdown_path} and {json_path}")
    return report


async def _measure(ctx: BenchContext, options: Options, folder: Path) -> list[Figure]:
    figures = []
    if "products" not in options.skip:
        say(f"products: pipeline over {options.products:,} simulator products, then the raw asyncpg baseline …")
        figures.append(await products_figure(ctx, options.products))
    if "images" not in options.skip:
        say(f"images: raw Pillow baseline, then the pipeline over {options.images:,} simulator images …")
        figures.append(await images_figure(ctx, options.images))
    if "worker" not in options.skip:
        say(
            f"worker: a real worker process importing {options.worker_products:,} products "
            f"({options.worker_images} image(s) each) …"
        )
        figures.append(await worker_figure(ctx, options.worker_products, options.worker_images, folder))
    if "submit" not in options.skip:
        say(
            f"submit: {options.submit_clients} clients, {options.submissions:,} submissions through the API, then raw …"
        )
        figures.append(await submit_figure(ctx, options.submit_clients, options.submissions, folder))
    if "shopify" in options.include:
        say(f"shopify: REST then GraphQL imports of one {options.shopify_products:,}-product standard-plan shop …")
        figures.append(await shopify_figure(ctx, options.shopify_products, folder))
    return figures
