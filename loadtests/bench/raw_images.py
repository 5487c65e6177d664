"""The raw baseline for image throughput: Pillow alone, on every core, over bytes already in memory.

Decode, thumbnail into the pipeline's box and JPEG-encode with the pipeline's
resampling and encoder settings, with libjpeg's draft mode
(decode at 1/2, 1/4 or 1/8 scale) as any fast thumbnailer uses.  No download,
no checks, no storage: what is left is the cost of the pixels themselves.
"""

from __future__ import annotations

import asyncio
import io
import multiprocessing
import os
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import repeat

import httpx
from PIL import Image

from control_plane.integrations.images.thumbnails import JPEG_OPTIONS, THUMBNAIL_REDUCING_GAP, THUMBNAIL_RESAMPLING

DOWNLOADS_IN_FLIGHT = 8


@dataclass(frozen=True)
class RawImages:
    images: int
    seconds: float
    processes: int
    thumbnail_bytes: int
    cpu_seconds: float
    """CPU time the pool's processes spent on the images themselves (each call's own process CPU)."""

    @property
    def per_second(self) -> float:
        return self.images / self.seconds if self.seconds else 0.0


def thumbnail_jpeg(data: bytes, box: tuple[int, int]) -> int:
    """Size of the JPEG thumbnail of ``data`` (the work itself is the point)."""
    with Image.open(io.BytesIO(data)) as image:
        image.draft("RGB", box)
        image.thumbnail(box, THUMBNAIL_RESAMPLING, reducing_gap=THUMBNAIL_REDUCING_GAP)
        rgb = image if image.mode == "RGB" else image.convert("RGB")
        out = io.BytesIO()
        rgb.save(out, format="JPEG", **JPEG_OPTIONS)
    return out.tell()


def timed_thumbnail(data: bytes, box: tuple[int, int]) -> tuple[int, float]:
    """:func:`thumbnail_jpeg` and the CPU time it cost the process that ran it."""
    started = time.process_time()
    size = thumbnail_jpeg(data, box)
    return size, time.process_time() - started


async def download(http: httpx.AsyncClient, urls: Sequence[str]) -> list[bytes]:
    """Every image once, before any timing: the baseline never waits for the network."""
    slots = asyncio.Semaphore(DOWNLOADS_IN_FLIGHT)

    async def one(url: str) -> bytes:
        async with slots:
            response = await http.get(url)
            response.raise_for_status()
            return response.content

    return list(await asyncio.gather(*(one(url) for url in urls)))


def measure(images: Sequence[bytes], box: tuple[int, int], processes: int | None = None) -> RawImages:
    """Thumbnail ``images`` in a process pool of ``processes`` (every core by default); pool start-up untimed."""
    workers = processes or os.cpu_count() or 1
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        warm = list(images[: workers * 2])
        list(pool.map(thumbnail_jpeg, warm, repeat(box)))  # start every process, load Pillow's codecs
        chunk = max(1, len(images) // (workers * 8))
        started = time.perf_counter()
        outcomes = list(pool.map(timed_thumbnail, images, repeat(box), chunksize=chunk))
        seconds = time.perf_counter() - started
    return RawImages(
        images=len(images),
        seconds=seconds,
        processes=workers,
        thumbnail_bytes=sum(size for size, _ in outcomes),
        cpu_seconds=sum(cpu for _, cpu in outcomes),
    )
