"""Download, check, thumbnail and store a page's product images.

A bad image (unsafe address, not an image, a bomb, too big, a dead link) marks
that image failed with its reason and the job goes on.  Storage being away is
different: it fails the attempt, so the job is retried once S3 is back.
Objects are content-addressed and checked (HEAD) before upload, so a re-run
uploads nothing it already stored.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field

from control_plane.db.repositories.catalog import PendingImage, StoredImage
from control_plane.domain.images import ImagePolicy, ImageRejected, original_key, thumbnail_key
from control_plane.integrations.images import S3ImageStore, SafeImageFetcher, process_image
from control_plane.integrations.images.thumbnails import ProcessedImage


@dataclass(frozen=True)
class ImageTools:
    """What one worker process holds for images: fetcher, decoder pool, open store."""

    fetcher: SafeImageFetcher
    store: S3ImageStore
    executor: Executor
    policy: ImagePolicy


@dataclass
class IngestResult:
    stored: list[StoredImage] = field(default_factory=list)
    failed: list[tuple[PendingImage, str]] = field(default_factory=list)
    bytes_added: int = 0
    """Original plus thumbnail bytes of newly stored images: what the company is charged for,
    whether or not identical bytes were already in the bucket."""

    @property
    def objects_added(self) -> int:
        return 2 * len(self.stored)


class ImageIngest:
    def __init__(self, tools: ImageTools, *, concurrency: int) -> None:
        self._tools = tools
        self._slots = asyncio.Semaphore(concurrency)

    async def ingest(self, pending: Sequence[PendingImage]) -> IngestResult:
        result = IngestResult()
        outcomes = await asyncio.gather(*(self._bounded(image) for image in pending))
        for image, outcome in zip(pending, outcomes, strict=True):
            if isinstance(outcome, str):
                result.failed.append((image, outcome))
                continue
            stored, charged_bytes = outcome
            result.stored.append(stored)
            result.bytes_added += charged_bytes
        return result

    async def _bounded(self, image: PendingImage) -> tuple[StoredImage, int] | str:
        async with self._slots:
            try:
                return await self._one(image)
            except ImageRejected as exc:
                return f"{exc.reason.value}: {exc.detail}"

    async def _one(self, image: PendingImage) -> tuple[StoredImage, int]:
        tools = self._tools
        fetched = await tools.fetcher.fetch(image.source_url)
        processed = await process_image(fetched.data, tools.policy, tools.executor)
        keys = (
            original_key(processed.sha256, processed.format),
            thumbnail_key(processed.sha256, tools.policy.thumbnail_box),
        )
        await asyncio.gather(
            tools.store.put_if_absent(keys[0], fetched.data, processed.content_type),
            tools.store.put_if_absent(keys[1], processed.thumbnail_jpeg, "image/jpeg"),
        )
        charged = len(fetched.data) + len(processed.thumbnail_jpeg)
        return _stored(image, processed, keys, len(fetched.data)), charged


def _stored(image: PendingImage, processed: ProcessedImage, keys: tuple[str, str], size: int) -> StoredImage:
    return StoredImage(
        id=image.id,
        s3_key=keys[0],
        thumbnail_key=keys[1],
        width=processed.width,
        height=processed.height,
        bytes=size,
        content_type=processed.content_type,
    )
