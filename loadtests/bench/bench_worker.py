"""Figure 3: peak resident memory of a real worker process importing a 10,000-product shop with images.

The job goes the production way: written by ``ImportService``, queued by
``RedisWorkQueue``, claimed and run by the worker; PostgreSQL is polled until it
says the job is finished.  ``VmRSS`` is sampled all along and the kernel's
own peak (``VmHWM``) is read before the worker is stopped.  Images go the
whole way too (fetched from the simulator, thumbnailed, stored in a bucket of
the run's own), since they are what a worker holds the most bytes of.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from control_plane.db.models import ImportJob
from control_plane.domain.jobs import JobStatus
from control_plane.integrations.queue import RedisWorkQueue
from control_plane.services.imports import ImportService
from loadtests.bench.bucket import BenchBucket
from loadtests.bench.context import OPERATOR, BenchContext, BenchShop
from loadtests.bench.pipeline_products import submit
from loadtests.bench.procstat import RssSampler, mib, status_kib
from loadtests.bench.report import Figure
from loadtests.bench.worker_process import WorkerProcess

GOAL_MIB = 300
IMAGE_SIZE = 400
"""Width and height of the shop's JPEG images (the load harness's default size)."""
SETTLE_S = 2.0
"""Left to the idle worker before its baseline is read (imports and pools finish settling)."""
DEADLINE_S = 1800.0
POLL_S = 0.5
FINISHED = {JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED}


async def enqueue(ctx: BenchContext, shop: BenchShop) -> uuid.UUID:
    """Submit (committed PENDING) and queue, as the API does."""
    job_id = await submit(ctx, shop, {})
    async with ctx.sessions() as session:
        service = ImportService(session, actor=OPERATOR)
        outcome = await service.file(
            await service.get(job_id), RedisWorkQueue(ctx.redis, ctx.settings.redis.queue_name)
        )
        await session.commit()
    if not outcome.enqueued:
        raise RuntimeError(f"the bench job was not queued: {outcome.message}")
    return job_id


async def wait_finished(ctx: BenchContext, job_id: uuid.UUID, *, deadline_s: float = DEADLINE_S) -> ImportJob:
    deadline = time.monotonic() + deadline_s
    while True:
        async with ctx.sessions() as session:
            job = (await session.execute(sa.select(ImportJob).where(ImportJob.id == job_id))).scalar_one()
        if job.status in FINISHED:
            return job
        if time.monotonic() > deadline:
            raise TimeoutError(f"job {job_id} still {job.status.value} after {deadline_s:.0f} s")
        await asyncio.sleep(POLL_S)


def worker_verdict(status: JobStatus, peak_mib: float, images_per_product: int, images_stored: int) -> bool:
    """Under the goal, and for the import asked for: completed, with images stored when the shop has them."""
    with_images = images_per_product == 0 or images_stored > 0
    return status is JobStatus.COMPLETED and with_images and peak_mib < GOAL_MIB


@dataclass(frozen=True)
class WorkerRun:
    products: int
    images_per_product: int
    job: ImportJob
    baseline_kib: int
    hwm_kib: int
    sampled_peak_kib: int
    samples: int
    wall_s: float
    exit_code: int | None

    @property
    def peak_mib(self) -> float:
        return mib(max(self.hwm_kib, self.sampled_peak_kib))

    @property
    def run_s(self) -> float | None:
        job = self.job
        return (job.finished_at - job.started_at).total_seconds() if job.finished_at and job.started_at else None

    @property
    def per_second(self) -> float | None:
        run_s = self.run_s
        return self.job.products_processed / run_s if run_s else None


async def worker_figure(ctx: BenchContext, products: int, images_per_product: int, folder: Path) -> Figure:
    shop = await ctx.create_shop("worker")
    catalog = {"products": products, "plan": "plus", "images_min": images_per_product}
    catalog |= {"images_max": images_per_product, "image_width": IMAGE_SIZE, "image_height": IMAGE_SIZE}
    await ctx.simulator.configure(shop.shop, catalog | {"image_format": "jpeg"})
    log_path = folder / "worker.log"
    bucket = BenchBucket(ctx.settings.s3)
    await bucket.create()
    try:
        async with WorkerProcess(ctx.settings, ctx.redis, log_path) as worker:
            await asyncio.sleep(SETTLE_S)
            baseline_kib = status_kib(worker.pid, "VmRSS") or 0
            submitted = time.monotonic()
            async with RssSampler(worker.pid) as sampler:
                job = await wait_finished(ctx, await enqueue(ctx, shop))
            wall = time.monotonic() - submitted
            hwm_kib = status_kib(worker.pid, "VmHWM") or 0
    finally:
        await bucket.remove()
    run = WorkerRun(
        products,
        images_per_product,
        job,
        baseline_kib,
        hwm_kib,
        sampler.peak_kib,
        len(sampler.samples_kib),
        wall,
        worker.exit_code,
    )
    figure = _figure(run, log_path.name)
    bulk = (await ctx.simulator.stats(shop.shop)).get("bulk_operations", {})
    figure.details.append(("read through", f"{bulk.get('started', 0)} Shopify bulk operation(s) (JSONL, byte ranges)"))
    figure.data["bulk_operations"] = bulk
    if ctx.settings.images.executor == "process":
        figure.notes.append("The image executor is a process pool: its processes' memory is not included.")
    return figure


def _figure(run: WorkerRun, log_name: str) -> Figure:
    job = run.job
    return Figure(
        key="worker_rss",
        title=f"peak worker RSS, {run.products:,}-product import, {run.images_per_product} image(s) each",
        measured=f"{run.peak_mib:.0f} MiB peak",
        baseline=f"{mib(run.baseline_kib):.0f} MiB at startup",
        ratio=None,
        goal=f"< {GOAL_MIB} MiB",
        met=worker_verdict(job.status, run.peak_mib, run.images_per_product, job.images_processed),
        details=_details(run),
        notes=[
            f"A real worker (`python -m arq workers.main.WorkerSettings`) on the bench database, Redis db and "
            f"queue; the job submitted through `ImportService` and queued by `RedisWorkQueue`. The simulator shop "
            f"serves {run.products:,} products with {run.images_per_product} JPEG image(s) of "
            f"{IMAGE_SIZE}x{IMAGE_SIZE} each (`--worker-products`, `--worker-images`), fetched, thumbnailed and "
            "stored in a bucket of the run's own; provider pacing lifted as in figure 1.",
            f"Worker log: `{log_name}` beside this report.",
        ],
        data={
            "products": run.products,
            "images_per_product": run.images_per_product,
            "images_processed": job.images_processed,
            "images_failed": job.images_failed,
            "status": job.status.value,
            "products_processed": job.products_processed,
            "baseline_rss_mib": mib(run.baseline_kib),
            "peak_hwm_mib": mib(run.hwm_kib),
            "peak_sampled_mib": mib(run.sampled_peak_kib),
            "samples": run.samples,
            "run_seconds": run.run_s,
            "products_per_second": run.per_second,
            "submit_to_finish_seconds": run.wall_s,
            "exit_code": run.exit_code,
            "goal_mib": GOAL_MIB,
        },
    )


def _details(run: WorkerRun) -> list[tuple[str, str]]:
    job, rate = run.job, run.per_second
    details = [
        ("job", f"{job.status.value}, {job.products_processed} products imported, {job.products_failed} failed"),
        ("images", f"{job.images_processed} stored, {job.images_failed} failed"),
        ("peak RSS (VmHWM)", f"{mib(run.hwm_kib):.1f} MiB"),
        ("highest sampled VmRSS", f"{mib(run.sampled_peak_kib):.1f} MiB ({run.samples} samples, every 0.2 s)"),
        ("RSS after startup", f"{mib(run.baseline_kib):.1f} MiB"),
        ("import", "—" if rate is None else f"{rate:,.0f} products/s ({run.run_s:.1f} s from claim to completion)"),
        ("submit to COMPLETED", f"{run.wall_s:.1f} s"),
        ("worker exit code after SIGTERM", str(run.exit_code)),
    ]
    if job.last_error:
        details.append(("last error", job.last_error[:300]))
    return details
