"""Real image bytes for product images, rendered with Pillow and cached.

Importers decode, measure and thumbnail what they download, so the simulator
serves genuine JPEG/PNG/WebP files of the configured size.  Colours come from
a small palette, so a handful of cached renders serve whole catalogs.  Faults
(corrupt bytes, wrong Content-Type) are decided per image from the simulator's seed, so a
given image is consistently good or bad for a given configuration.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache
from io import BytesIO

from PIL import Image as PilImage
from PIL import ImageDraw

from loadtests.simulator.catalog import Image, Rgb

MEDIA_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
_PIL_FORMATS = {"jpg": "JPEG", "png": "PNG", "webp": "WEBP"}
WRONG_MEDIA_TYPE = "text/html; charset=utf-8"
"""What a misconfigured CDN or an error page would claim."""


@lru_cache(maxsize=64)
def render(width: int, height: int, ext: str, colour: Rgb, accent: Rgb) -> bytes:
    """Encode a striped picture with a centred disc; flat colours keep files small and fast."""
    picture = PilImage.new("RGB", (width, height), colour)
    draw = ImageDraw.Draw(picture)
    band = max(1, height // 10)
    for top in range(0, height, band * 2):
        draw.rectangle((0, top, width, top + band // 2), fill=accent)
    radius = max(1, min(width, height) // 4)
    centre_x, centre_y = width // 2, height // 2
    draw.ellipse((centre_x - radius, centre_y - radius, centre_x + radius, centre_y + radius), fill=accent)
    buffer = BytesIO()
    options = {} if ext == "png" else {"quality": 85}
    picture.save(buffer, _PIL_FORMATS[ext], **options)
    return buffer.getvalue()


def corrupt(data: bytes) -> bytes:
    """A truncated transfer: the header survives, the pixels do not decode."""
    return data[: max(16, len(data) * 2 // 5)]


@dataclass(frozen=True)
class ImageFaults:
    broken: bool
    wrong_type: bool


def faults_for(image_key: str, broken: float, wrong: float) -> ImageFaults:
    """Whether the image named ``image_key`` is served corrupt and/or mislabelled (stable per configuration)."""
    rng = random.Random(f"{image_key}:image-faults")
    return ImageFaults(broken=rng.random() < broken, wrong_type=rng.random() < wrong)


def body_and_type(image: Image, faults: ImageFaults) -> tuple[bytes, str]:
    data = render(image.width, image.height, image.ext, image.colour, image.accent)
    media_type = WRONG_MEDIA_TYPE if faults.wrong_type else MEDIA_TYPES[image.ext]
    return (corrupt(data) if faults.broken else data), media_type
