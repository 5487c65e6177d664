"""Images through the real pipeline: ``ImageIngest`` in one process per core, as the stack runs its workers.

Each process builds the tools a worker process builds for itself (safe fetch
from the simulator through its proxy, decode and thumbnail in the configured
executor, HEAD then PUT of the original and the thumbnail) and takes every
N-th image, so the pipeline has the same cores as the raw baseline's process
pool.  The processes start, open and warm their S3 clients, then wait on one
barrier; the run is timed from the barrier to the last process's finish.  The
page's database writes are not part of it (figure 1 covers those).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from typing import Any

from control_plane.db.repositories.catalog import PendingImage
from control_plane.integrations.images import S3ImageStore, SafeImageFetcher, create_image_executor, image_policy
from control_plane.services.image_ingest import ImageIngest, ImageTools
from harness.settings import HarnessSettings
from loadtests.bench.procstat import cpu_used, tree_cpu_seconds
from loadtests.bench.stack import StackCpu

WARM_UP_KEY = "bench/warm-up"
"""HEADed once before timing: the first S3 call of a process pays for client set-up and the connection."""
START_TIMEOUT_S = 120.0
"""How long the processes may take to start and warm up before the run is abandoned."""
RUN_TIMEOUT_S = 600.0
"""How long a process may take over its share before the run is abandoned (a bench never hangs)."""


@dataclass(frozen=True)
class ProcessShare:
    """What one pipeline process did, with its own clock readings (monotonic: comparable across processes)."""

    stored: int
    failures: list[str]
    started: float
    finished: float
    cpu_seconds: float
    """CPU time of the process and of its image executor's processes, if any, during the share."""
    bytes_added: int


@dataclass(frozen=True)
class ImagePipelineRun:
    images: int
    stored: int
    failed: int
    failures: list[str]
    seconds: float
    cpu_seconds: float
    """CPU time of all pipeline processes together."""
    processes: int
    bytes_added: int
    stack_cpu: dict[str, float]

    @property
    def per_second(self) -> float:
        return self.stored / self.seconds if self.seconds else 0.0


async def run_image_pipeline(
    settings: HarnessSettings, urls: Sequence[str], stack: StackCpu, processes: int
) -> ImagePipelineRun:
    """Ingest ``urls`` once, spread over ``processes`` pipeline processes started together."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(processes + 1)
    results: Queue[ProcessShare | str] = context.Queue()
    workers = [
        context.Process(target=_process_main, args=(settings, list(urls[i::processes]), barrier, results))
        for i in range(processes)
    ]
    for worker in workers:
        worker.start()
    try:
        await asyncio.to_thread(barrier.wait, START_TIMEOUT_S)
        stack.start()
        shares = [_share(await asyncio.to_thread(results.get, True, RUN_TIMEOUT_S)) for _ in workers]
        stack_cpu = stack.used()
    finally:
        for worker in workers:
            worker.join(timeout=30)
            if worker.is_alive():
                worker.kill()
    return _combined(len(urls), shares, stack_cpu)


def _share(outcome: ProcessShare | str) -> ProcessShare:
    """A process's share, or the error it reported instead."""
    if isinstance(outcome, str):
        raise RuntimeError(f"an image pipeline process failed: {outcome}")
    return outcome


def _combined(images: int, shares: list[ProcessShare], stack_cpu: dict[str, float]) -> ImagePipelineRun:
    stored = sum(share.stored for share in shares)
    failures = sorted({reason for share in shares for reason in share.failures})
    return ImagePipelineRun(
        images=images,
        stored=stored,
        failed=images - stored,
        failures=failures[:5],
        seconds=max(share.finished for share in shares) - min(share.started for share in shares),
        cpu_seconds=sum(share.cpu_seconds for share in shares),
        processes=len(shares),
        bytes_added=sum(share.bytes_added for share in shares),
        stack_cpu=stack_cpu,
    )


def _process_main(settings: HarnessSettings, urls: list[str], barrier: Barrier, results: Queue[Any]) -> None:
    """Run one share; a failure is reported through the queue, so the parent never waits for a dead process."""
    try:
        results.put(asyncio.run(_ingest_share(settings, urls, barrier)))
    except BaseException as exc:
        barrier.abort()  # releases the parent (and the others) if this happened before the start
        results.put(f"{type(exc).__name__}: {exc}")
        raise


async def _ingest_share(settings: HarnessSettings, urls: list[str], barrier: Barrier) -> ProcessShare:
    """One process's share; its store's client is opened and warmed first, as a worker's is at startup."""
    policy = image_policy(settings.images)
    executor = create_image_executor(settings.images.executor, settings.images.executor_workers)
    try:
        fetcher = SafeImageFetcher(None, policy, allow_hosts=settings.images.allowed_hosts)
        async with fetcher, S3ImageStore.from_settings(settings.s3) as store:
            tools = ImageTools(fetcher=fetcher, store=store, executor=executor, policy=policy)
            ingest = ImageIngest(tools, concurrency=settings.worker.image_concurrency)
            pending = [PendingImage(uuid.uuid4(), uuid.uuid4(), url) for url in urls]
            await store.exists(WARM_UP_KEY)
            barrier.wait(START_TIMEOUT_S)
            started, cpu_started = time.monotonic(), tree_cpu_seconds(os.getpid())
            result = await ingest.ingest(pending)
            finished, cpu = time.monotonic(), cpu_used(cpu_started, tree_cpu_seconds(os.getpid()))
    finally:
        executor.shutdown(wait=True)
    return ProcessShare(
        stored=len(result.stored),
        failures=[reason for _, reason in result.failed],
        started=started,
        finished=finished,
        cpu_seconds=cpu,
        bytes_added=result.bytes_added,
    )
