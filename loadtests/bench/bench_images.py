"""Figure 2: CPU per new image of the pipeline processes against raw Pillow on the same bytes.

Both are process CPU time from the same run: the pipeline processes' own
(fetch, checks, decode and thumbnail, S3 calls, event loop) over the images
they stored, every one new to the fresh bucket's catalog; raw Pillow's inside
its pool's processes over the images it thumbnailed.  Throughput is reported
beside it.
"""

from __future__ import annotations

import asyncio

from harness.settings import HarnessSettings
from loadtests.bench.bucket import BenchBucket
from loadtests.bench.context import BenchContext
from loadtests.bench.pipeline_images import ImagePipelineRun, run_image_pipeline
from loadtests.bench.ratios import at_most, cpu_ratio, per_unit, rate_ratio
from loadtests.bench.raw_images import RawImages, download, measure
from loadtests.bench.report import Figure
from loadtests.bench.stack import StackCpu, cpu_text

GOAL = 2.0
"""Pipeline CPU per new image at most twice raw Pillow's per image."""
IMAGES_PER_PRODUCT = 4
IMAGE_SIZE = 800


async def images_figure(ctx: BenchContext, count: int) -> Figure:
    shop = ctx.shop_name("images")
    products = -(-count // IMAGES_PER_PRODUCT)
    await ctx.simulator.configure(
        shop,
        {
            "products": products,
            "images_min": IMAGES_PER_PRODUCT,
            "images_max": IMAGES_PER_PRODUCT,
            "image_width": IMAGE_SIZE,
            "image_height": IMAGE_SIZE,
            "image_format": "jpeg",
        },
    )
    urls = [ctx.simulator.image_url(shop, i // IMAGES_PER_PRODUCT, i % IMAGES_PER_PRODUCT + 1) for i in range(count)]
    images = await download(ctx.http, urls)
    box = (ctx.settings.images.thumbnail_width, ctx.settings.images.thumbnail_height)
    raw = await asyncio.to_thread(measure, images, box)
    bucket = BenchBucket(ctx.settings.s3)
    await bucket.create()
    try:
        pipeline = await run_image_pipeline(ctx.settings, urls, StackCpu(ctx.settings), raw.processes)
        objects = len(await bucket.keys())
    finally:
        await bucket.remove()
    distinct = len(set(images))
    return _figure(ctx, pipeline, raw, objects=objects, distinct=distinct)


def images_ratio(run: ImagePipelineRun, raw: RawImages) -> float | None:
    return cpu_ratio(run.cpu_seconds, run.stored, raw.cpu_seconds, raw.images)


def _figure(ctx: BenchContext, pipeline: ImagePipelineRun, raw: RawImages, *, objects: int, distinct: int) -> Figure:
    ratio = images_ratio(pipeline, raw)
    return Figure(
        key="images",
        title="images: pipeline-process CPU per new image vs raw Pillow",
        measured=f"{_ms(per_unit(pipeline.cpu_seconds, pipeline.stored))} CPU/image",
        baseline=f"{_ms(per_unit(raw.cpu_seconds, raw.images))} CPU/image (Pillow)",
        ratio=ratio,
        goal=f"≤ {GOAL}",
        met=at_most(ratio, GOAL),
        details=_details(pipeline, raw, objects=objects, distinct=distinct),
        notes=_notes(ctx.settings, pipeline.images),
        data={
            "pipeline": vars(pipeline) | {"per_second": pipeline.per_second},
            "raw": vars(raw) | {"per_second": raw.per_second},
            "distinct_files": distinct,
            "objects_uploaded": objects,
            "ratio": ratio,
            "throughput_ratio": rate_ratio(pipeline.per_second, raw.per_second),
            "stack_cpu_ms_per_image": _stack_ms_per_image(pipeline),
            "goal": GOAL,
        },
    )


def _ms(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds * 1000:.2f} ms"


def _stack_ms_per_image(run: ImagePipelineRun) -> float | None:
    """The simulator's, SeaweedFS's and toxiproxy's CPU per stored image: paid from the same cores."""
    value = per_unit(sum(run.stack_cpu.values()), run.stored)
    return None if value is None else value * 1000


def _details(run: ImagePipelineRun, raw: RawImages, *, objects: int, distinct: int) -> list[tuple[str, str]]:
    throughput = rate_ratio(run.per_second, raw.per_second)
    stack_ms = _stack_ms_per_image(run)
    details = [
        ("images requested / stored / failed", f"{run.images} / {run.stored} / {run.failed}"),
        ("pipeline", f"{run.per_second:,.1f} images/s ({run.stored} in {run.seconds:.2f} s, {run.processes} procs)"),
        ("  CPU of the pipeline processes", f"{run.cpu_seconds:.2f} s"),
        ("  CPU of other stack processes", cpu_text(run.stack_cpu)),
        ("  … per stored image", "—" if stack_ms is None else f"{stack_ms:.2f} ms"),
        ("  distinct image files / objects uploaded", f"{distinct} / {objects}"),
        ("raw Pillow", f"{raw.per_second:,.1f} images/s ({raw.images} in {raw.seconds:.2f} s, {raw.processes} procs)"),
        ("  CPU of the Pillow calls", f"{raw.cpu_seconds:.2f} s"),
        ("throughput ratio (pipeline ÷ raw)", "—" if throughput is None else f"{throughput:.2f}"),
    ]
    if run.failures:
        details.append(("failure reasons", "; ".join(run.failures)))
    return details


def _notes(settings: HarnessSettings, count: int) -> list[str]:
    images = settings.images
    return [
        f"{count} JPEG images of {IMAGE_SIZE}x{IMAGE_SIZE} served by the simulator. Pipeline: one process per "
        "core like the baseline (worker processes are the pipeline's unit of parallelism; `stack up` runs 2), each "
        "taking every N-th image through `ImageIngest` "
        f"({settings.worker.image_concurrency} images in flight, `{images.executor}` executor) with safe fetch, "
        "decode and thumbnail, then S3 into an empty bucket: HEAD of the original, and PUT of original and "
        "thumbnail when it is new (HEAD + PUT of the thumbnail when the original was already there).",
        f"Raw: the same bytes, downloaded once beforehand, decoded, thumbnailed into "
        f"{images.thumbnail_width}x{images.thumbnail_height} and JPEG-encoded with the pipeline's encoder "
        "settings in a process pool of one process per core.",
        "The simulator renders images from a small palette, so identical files recur; content addressing "
        "uploads each distinct file once and answers the repeats with HEADs. It also runs on this machine, "
        "so its CPU time (rendering) competes with the pipeline's.",
        "Ratio: CPU time of the pipeline processes (and of their image executor's processes, if any) per stored "
        "image, every one new to the fresh bucket, over the CPU time the raw pool's processes spent inside their "
        "Pillow calls per image, on the same bytes in the same run. The simulator's, SeaweedFS's and toxiproxy's "
        "CPU is in neither side (shown per image above).",
    ]
