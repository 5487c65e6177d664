"""An image row's failure reason names its reason once: ``bomb: declares …``, never ``bomb: bomb: …``."""

from __future__ import annotations

import struct
import uuid
import zlib
from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast

from control_plane.db.repositories.catalog import PendingImage
from control_plane.domain.images import ImagePolicy
from control_plane.integrations.images.fetch import FetchedImage
from control_plane.services.image_ingest import ImageIngest, ImageTools


def _png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares ``width`` x ``height``: a decompression bomb's calling card."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + header
    ihdr = struct.pack(">I", len(header)) + chunk + struct.pack(">I", zlib.crc32(chunk))
    idat_data = zlib.compress(b"\x00" * 16)
    idat = struct.pack(">I", len(idat_data)) + b"IDAT" + idat_data + struct.pack(">I", zlib.crc32(b"IDAT" + idat_data))
    end = struct.pack(">I", 0) + b"IEND" + struct.pack(">I", zlib.crc32(b"IEND"))
    return b"\x89PNG\r\n\x1a\n" + ihdr + idat + end


class _ServedBytes:
    """Stands in for the network fetcher: hands back fixed bytes (the decoding under test is real)."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    async def fetch(self, url: str) -> FetchedImage:
        return FetchedImage(data=self._data, final_url=url, content_type_header="image/png")


async def test_a_bomb_reason_is_recorded_once_with_the_limit() -> None:
    policy = ImagePolicy(max_pixels=1_000_000)
    with ThreadPoolExecutor(1) as executor:
        tools = ImageTools(
            fetcher=cast(Any, _ServedBytes(_png_declaring(5_000, 5_000))),
            store=cast(Any, None),  # never reached: the image is refused before any upload
            executor=executor,
            policy=policy,
        )
        result = await ImageIngest(tools, concurrency=1).ingest(
            [PendingImage(uuid.uuid4(), uuid.uuid4(), "https://img.example/bomb.png")]
        )
    ((_, reason),) = result.failed
    assert reason == "bomb: declares 25,000,000 pixels, above the limit of 1,000,000 pixels"
