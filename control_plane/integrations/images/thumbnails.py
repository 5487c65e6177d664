"""Decide what an image really is from its bytes, and make its thumbnail.

The Content-Type header and the URL's extension are claims by a third party;
only Pillow's detection over the bytes, limited to the policy's formats,
decides.  Declared pixel counts are checked before any pixel is decoded
(decompression bombs: a few KB of PNG can declare gigapixels), ``verify()``
catches corrupt files, and the image is reopened for decoding because a
verified image cannot be used further.  Bytes after the image's end marker are
refused: they are how polyglot files (an image that is also HTML, script or a
ZIP archive) hide a second meaning, and the original bytes are what we store.

Pillow's bomb warning is turned into an error too, but warning filters are
process-wide and not thread-safe, so the explicit pixel check against the
policy is what the decision rests on.

Decoding is CPU-bound and synchronous on purpose; :func:`process_image` runs it
in an executor so the event loop stays responsive.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import multiprocessing
import os
import re
import warnings
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from struct import error as struct_error
from typing import Literal

from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from control_plane.domain.images import ImageFormat, ImagePolicy, ImageRejected, RejectReason

JPEG_QUALITY = 82
JPEG_OPTIONS = {"quality": JPEG_QUALITY, "optimize": True}
"""Baseline JPEG with optimised Huffman tables: smaller than progressive at this size and a third of its CPU."""
THUMBNAIL_RESAMPLING = Image.Resampling.BICUBIC
"""Pillow's own choice for thumbnails; Lanczos costs about a third more CPU for a difference not seen at 320 px."""
THUMBNAIL_REDUCING_GAP = 2.0
_ROTATED_ORIENTATIONS = frozenset({5, 6, 7, 8})  # EXIF orientations that swap width and height
_EXIF_ORIENTATION = 0x0112


@dataclass(frozen=True)
class ProcessedImage:
    format: ImageFormat
    content_type: str
    width: int  # as displayed, i.e. after the EXIF orientation
    height: int
    sha256: str  # of the original bytes
    ext: str
    thumbnail_jpeg: bytes
    thumb_w: int
    thumb_h: int


def inspect_and_thumbnail(data: bytes, policy: ImagePolicy) -> ProcessedImage:
    """Identify, bound and verify ``data``, then render its JPEG thumbnail; :class:`ImageRejected` otherwise."""
    allowed = sorted(f.value for f in policy.formats)
    Image.MAX_IMAGE_PIXELS = policy.max_pixels  # Pillow's own check; ours below does not rely on it
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            fmt = _verified_format(data, allowed, policy.max_pixels)
            with Image.open(io.BytesIO(data), formats=allowed) as image:
                width, height, orientation = _display_size(image)
                thumbnail = _thumbnail(image, policy.thumbnail_box, orientation)
            thumbnail_jpeg = _encode_jpeg(thumbnail)
            if not _ends_cleanly(data, fmt):  # checked once decoding proved the file is not merely truncated
                raise ImageRejected(RejectReason.FORMAT, f"data after the end of the {fmt.value} image (polyglot file)")
        except ImageRejected:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            # Pillow's own text names its internal threshold, not the limit an operator configured.
            raise ImageRejected(RejectReason.BOMB, bomb_detail(_pillow_pixels(exc), policy.max_pixels)) from exc
        except UnidentifiedImageError as exc:
            raise ImageRejected(RejectReason.FORMAT, f"not one of {', '.join(allowed)}") from exc
        except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, struct_error) as exc:
            raise ImageRejected(RejectReason.DECODE, f"{type(exc).__name__}: {exc}") from exc
    return ProcessedImage(
        format=fmt,
        content_type=fmt.content_type,
        width=width,
        height=height,
        sha256=hashlib.sha256(data).hexdigest(),
        ext=fmt.extension,
        thumbnail_jpeg=thumbnail_jpeg,
        thumb_w=thumbnail.width,
        thumb_h=thumbnail.height,
    )


ExecutorKind = Literal["thread", "process"]


def create_image_executor(kind: ExecutorKind = "thread", max_workers: int | None = None) -> Executor:
    """The pool image work runs in: one per worker process, shut down with it.

    Threads are the default: Pillow releases the GIL while it decodes, resizes
    and encodes, so threads use every core without copying image bytes to other
    processes.  Processes (started with ``spawn``: forking a process that runs
    an event loop and threads is unsafe) isolate a crashing decoder instead.
    """
    workers = max_workers or os.cpu_count() or 1
    if kind == "process":
        return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
    return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="images")


async def process_image(data: bytes, policy: ImagePolicy, executor: Executor) -> ProcessedImage:
    """:func:`inspect_and_thumbnail` in ``executor`` (a thread or process pool), off the event loop."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(executor, inspect_and_thumbnail, data, policy)


def bomb_detail(pixels: int | None, max_pixels: int, size: str = "") -> str:
    """Why an image is a decompression bomb, with the configured limit (``ICP_IMAGES_MAX_PIXELS``)."""
    declared = "more pixels" if pixels is None else f"{size}{pixels:,} pixels"
    return f"declares {declared}, above the limit of {max_pixels:,} pixels"


_PILLOW_SIZE = re.compile(r"Image size \((\d+) pixels\)")


def _pillow_pixels(exc: Exception) -> int | None:
    """The pixel count in Pillow's bomb message (its only carrier), if it is there."""
    found = _PILLOW_SIZE.search(str(exc))
    return int(found.group(1)) if found else None


def _verified_format(data: bytes, allowed: list[str], max_pixels: int) -> ImageFormat:
    """The detected format, once the declared size is within bounds and the file structure verifies."""
    with Image.open(io.BytesIO(data), formats=allowed) as probe:
        if probe.format not in allowed:
            raise ImageRejected(RejectReason.FORMAT, f"detected {probe.format}, allowed {', '.join(allowed)}")
        fmt = ImageFormat(probe.format)
        width, height = probe.size
        if width < 1 or height < 1:
            raise ImageRejected(RejectReason.DECODE, f"empty image {width}x{height}")
        if width * height > max_pixels:
            raise ImageRejected(RejectReason.BOMB, bomb_detail(width * height, max_pixels, f"{width}x{height} = "))
        probe.verify()
    return fmt


_PNG_END = b"IEND\xaeB`\x82"
_JPEG_PADDING = b"\x00\r\n"


def _ends_cleanly(data: bytes, fmt: ImageFormat) -> bool:
    """Whether ``data`` stops at the format's own end: IEND, EOI (padding allowed), the GIF trailer, RIFF size."""
    if fmt is ImageFormat.PNG:
        return data.endswith(_PNG_END)
    if fmt is ImageFormat.JPEG:
        return data.rstrip(_JPEG_PADDING).endswith(b"\xff\xd9")
    if fmt is ImageFormat.GIF:
        return data.endswith(b";")
    riff_size = int.from_bytes(data[4:8], "little")
    return len(data) in (riff_size + 8, riff_size + 9)  # the RIFF chunk may carry one padding byte


def _display_size(image: Image.Image) -> tuple[int, int, int]:
    orientation = int(image.getexif().get(_EXIF_ORIENTATION, 1) or 1)
    width, height = image.size
    if orientation in _ROTATED_ORIENTATIONS:
        width, height = height, width
    return width, height, orientation


def _thumbnail(image: Image.Image, box: tuple[int, int], orientation: int) -> Image.Image:
    """First frame, oriented, fitted into ``box``, on white where it was transparent."""
    if image.format == ImageFormat.JPEG.value:
        # Let libjpeg decode at 1/2, 1/4 or 1/8 scale: far less work for large photos.
        stored_box = (box[1], box[0]) if orientation in _ROTATED_ORIENTATIONS else box
        image.draft("RGB", stored_box)
    image.seek(0)
    image.load()
    oriented = image
    if orientation != 1:  # exif_transpose copies the image even when there is nothing to turn
        oriented = ImageOps.exif_transpose(image) or image
    oriented.thumbnail(box, THUMBNAIL_RESAMPLING, reducing_gap=THUMBNAIL_REDUCING_GAP)
    return _flatten(oriented)


def _flatten(image: Image.Image) -> Image.Image:
    if image.mode == "RGB":
        return image
    if image.mode == "P" or image.mode == "PA":
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "La", "RGBa"):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _encode_jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", **JPEG_OPTIONS)
    return out.getvalue()
