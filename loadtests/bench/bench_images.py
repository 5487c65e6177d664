"""Figure 2: images per second through the pipeline against raw Pillow thumbnailing on every core."""

from __future__ import annotations

import asyncio

from harness.settings import HarnessSettings
from loadtests.bench.bucket import BenchBucket
from loadtests.bench.context import BenchContext
from loadtests.bench.pipeline_images import ImagePipelineRun, run_image_pipeline
from loadtests.bench.raw_images import RawImages, download, measure
from loadtests.bench.report import Figure
from loadtests.bench.stack import StackCpu, cpu_text

GOAL = 0.5
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


def _figure(ctx: BenchContext, pipeline: ImagePipelineRun, raw: RawImages, *, objects: int, distinct: int) -> Figure:
    ratio = pipeline.per_second / raw.per_second if raw.per_second else None
    return Figure(
        key="images",
        title="images/s: pipeline vs raw Pillow",
        measured=f"{pipeline.per_second:,.1f}/s",
        baseline=f"{raw.per_second:,.1f}/s ({raw.processes} processes)",
        ratio=ratio,
        goal=f"≥ {GOAL}",
        met=None if ratio is None else ratio >= GOAL,
        details=_details(pipeline, raw, objects=objects, distinct=distinct),
        notes=_notes(ctx.settings, pipeline.images),
        data={
            "pipeline": vars(pipeline) | {"per_second": pipeline.per_second},
            "raw": vars(raw) | {"per_second": raw.per_second},
            "distinct_files": distinct,
            "objects_uploaded": objects,
            "ratio": ratio,
            "ceiling_ratio": ceiling_ratio(pipeline, raw),
            "goal": GOAL,
        },
    )


def ceiling_ratio(run: ImagePipelineRun, raw: RawImages) -> float | None:
    """The best ratio this machine allows: a pipeline costing no more CPU per image than raw Pillow itself.

    The image source (simulator), S3 and toxiproxy share the cores, so each
    image also costs their CPU time; with the raw pool's CPU per image (its
    processes busy for its whole run, an upper bound) plus theirs, the cores
    allow at most ``cores / (raw + theirs)`` images a second.
    """
    if not (run.stored and raw.images and raw.per_second):
        return None
    raw_cpu = raw.seconds * raw.processes / raw.images
    theirs = sum(run.stack_cpu.values()) / run.stored
    return raw.processes / (raw_cpu + theirs) / raw.per_second


def _details(run: ImagePipelineRun, raw: RawImages, *, objects: int, distinct: int) -> list[tuple[str, str]]:
    details = [
        ("images requested / stored / failed", f"{run.images} / {run.stored} / {run.failed}"),
        ("pipeline", f"{run.per_second:,.1f} images/s ({run.stored} in {run.seconds:.2f} s, {run.processes} procs)"),
        ("  CPU of the pipeline processes", f"{run.cpu_seconds:.2f} s"),
        ("  CPU of other stack processes", cpu_text(run.stack_cpu)),
        ("  distinct image files / objects uploaded", f"{distinct} / {objects}"),
        ("raw Pillow", f"{raw.per_second:,.1f} images/s ({raw.images} in {raw.seconds:.2f} s, {raw.processes} procs)"),
    ]
    ceiling = ceiling_ratio(run, raw)
    if ceiling is not None:
        details.append(("ceiling ratio on this machine (no overhead beyond raw Pillow)", f"{ceiling:.2f}"))
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
        "Ceiling ratio: what a pipeline spending exactly raw Pillow's CPU per image would reach once the other "
        "stack processes' CPU per image (simulator, S3, toxiproxy, as measured) is also paid from the same cores.",
    ]
