"""Images through the real pipeline: ``ImageIngest`` with the tools a worker process builds for itself.

Safe fetch from the simulator (through its proxy), decode and thumbnail in
the configured executor, HEAD then PUT of the original and the thumbnail.
The page's database writes are not part of it (figure 1 covers those).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from control_plane.db.repositories.catalog import PendingImage
from control_plane.integrations.images import S3ImageStore, SafeImageFetcher, create_image_executor, image_policy
from control_plane.services.image_ingest import ImageIngest, ImageTools
from control_plane.settings import Settings
from loadtests.bench.stack import StackCpu

WARM_UP_KEY = "bench/warm-up"
"""HEADed once before timing: the first S3 call of a process pays for client set-up and the connection."""


@dataclass(frozen=True)
class ImagePipelineRun:
    images: int
    stored: int
    failed: int
    failures: list[str]
    seconds: float
    cpu_seconds: float
    bytes_added: int
    stack_cpu: dict[str, float]

    @property
    def per_second(self) -> float:
        return self.stored / self.seconds if self.seconds else 0.0


async def run_image_pipeline(settings: Settings, urls: Sequence[str], stack: StackCpu) -> ImagePipelineRun:
    """Ingest ``urls`` once; the store's client is opened and warmed first, as a worker's is at startup."""
    policy = image_policy(settings.images)
    executor = create_image_executor(settings.images.executor, settings.images.executor_workers)
    try:
        fetcher = SafeImageFetcher(None, policy, allow_hosts=settings.images.allowed_hosts)
        async with fetcher, S3ImageStore.from_settings(settings.s3) as store:
            tools = ImageTools(fetcher=fetcher, store=store, executor=executor, policy=policy)
            ingest = ImageIngest(tools, concurrency=settings.worker.image_concurrency)
            pending = [PendingImage(uuid.uuid4(), uuid.uuid4(), url) for url in urls]
            await store.exists(WARM_UP_KEY)
            stack.start()
            started, cpu_started = time.perf_counter(), time.process_time()
            result = await ingest.ingest(pending)
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
            stack_cpu = stack.used()
    finally:
        executor.shutdown(wait=True)
    return ImagePipelineRun(
        images=len(pending),
        stored=len(result.stored),
        failed=len(result.failed),
        failures=sorted({reason for _, reason in result.failed})[:5],
        seconds=seconds,
        cpu_seconds=cpu,
        bytes_added=result.bytes_added,
        stack_cpu=stack_cpu,
    )
