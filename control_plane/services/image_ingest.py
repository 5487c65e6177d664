"""Download, check, thumbnail and store a page's product images.

A bad image (unsafe address, not an image, a bomb, too big, a dead link) marks
that image failed with its reason and the job goes on; a dropped connection or
a 429/5xx answer is first tried again a few times.  Storage being away is
different: it fails the attempt, so the job is retried once S3 is back.
Objects are content-addressed and the original is checked (HEAD) before
upload, so a re-run uploads nothing it already stored.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

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
        """A dropped connection or a 429/5xx is tried again (the slot is freed while waiting)."""
        policy = self._tools.policy
        tries = 0

        async def once() -> tuple[StoredImage, int]:
            nonlocal tries
            tries += 1
            async with self._slots:
                return await self._one(image)

        def pause(state: RetryCallState) -> float:
            return policy.retry_delay_s(state.attempt_number)

        retrying = AsyncRetrying(
            retry=retry_if_exception(_worth_retrying_now),
            stop=stop_after_attempt(policy.download_attempts),
            wait=pause,
            reraise=True,
        )
        try:
            stored: tuple[StoredImage, int] = await retrying(once)
        except ImageRejected as exc:
            suffix = f" (after {tries} tries)" if tries > 1 else ""
            return f"{exc.reason.value}: {exc.reason_detail}{suffix}"  # the reason once ("bomb: …")
        return stored

    async def _one(self, image: PendingImage) -> tuple[StoredImage, int]:
        tools = self._tools
        fetched = await tools.fetcher.fetch(image.source_url)
        processed = await process_image(fetched.data, tools.policy, tools.executor)
        keys = (
            original_key(processed.sha256, processed.format),
            thumbnail_key(processed.sha256, tools.policy.thumbnail_box),
        )
        await put_image(tools.store, keys, fetched.data, processed.content_type, processed.thumbnail_jpeg)
        charged = len(fetched.data) + len(processed.thumbnail_jpeg)
        return _stored(image, processed, keys, len(fetched.data)), charged


def _worth_retrying_now(exc: BaseException) -> bool:
    return isinstance(exc, ImageRejected) and exc.worth_retrying_now


async def put_image(
    store: S3ImageStore, keys: tuple[str, str], original: bytes, content_type: str, thumbnail: bytes
) -> None:
    """Store an original and its thumbnail: ``HEAD`` the original; when it is missing, put both without asking.

    The thumbnail's key is named after the original's hash, so it can only be
    there without its original after a crash between the two uploads, and
    putting the same bytes again is harmless: a new image costs three S3 calls
    instead of four.  When the original is there, the thumbnail is checked too
    (a new thumbnail size makes new thumbnail keys).
    """
    if await store.exists(keys[0]):
        await store.put_if_absent(keys[1], thumbnail, "image/jpeg")
        return
    await asyncio.gather(store.put(keys[0], original, content_type), store.put(keys[1], thumbnail, "image/jpeg"))


def _stored(image: PendingImage, processed: ProcessedImage, keys: tuple[str, str], size: int) -> StoredImage:
    return StoredImage(
        id=image.id,
        s3_key=keys[0],
        thumbnail_key=keys[1],
        width=processed.width,
        height=processed.height,
        bytes=size,
        content_type=processed.content_type,
        thumbnail_bytes=len(processed.thumbnail_jpeg),
    )
