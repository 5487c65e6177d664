"""Thumbnails from real image bytes made here with Pillow: formats from the bytes, bombs, corrupt files, orientation."""

from __future__ import annotations

import hashlib
import io
import struct
import zlib
from collections.abc import Iterator
from concurrent.futures import Executor
from pathlib import Path

import pytest
from PIL import Image

from control_plane.domain.images import ImageFormat, ImagePolicy, ImageRejected, RejectReason
from control_plane.integrations.images.thumbnails import create_image_executor, inspect_and_thumbnail, process_image

POLICY = ImagePolicy()


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **params)
    return out.getvalue()


def photo(size: tuple[int, int], fmt: str = "JPEG", mode: str = "RGB", **params: object) -> bytes:
    image = Image.new(mode, size, "orange")
    image.paste("navy", (0, 0, size[0] // 2, size[1]))  # left half navy, right half orange
    return encode(image, fmt, **params)


def rejected(data: bytes, policy: ImagePolicy = POLICY) -> RejectReason:
    with pytest.raises(ImageRejected) as caught:
        inspect_and_thumbnail(data, policy)
    return caught.value.reason


def decode(jpeg: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(jpeg))
    assert image.format == "JPEG"
    return image


@pytest.mark.parametrize(
    ("fmt", "size", "thumb", "content_type", "ext"),
    [
        ("JPEG", (1600, 1200), (320, 240), "image/jpeg", "jpg"),
        ("PNG", (500, 1000), (160, 320), "image/png", "png"),
        ("WEBP", (800, 400), (320, 160), "image/webp", "webp"),
        ("GIF", (100, 50), (100, 50), "image/gif", "gif"),  # smaller than the box: never enlarged
    ],
)
def test_accepted_formats_give_their_sizes_and_a_jpeg_thumbnail(
    fmt: str, size: tuple[int, int], thumb: tuple[int, int], content_type: str, ext: str
) -> None:
    data = photo(size, fmt)
    result = inspect_and_thumbnail(data, POLICY)
    assert result.format is ImageFormat(fmt)
    assert (result.content_type, result.ext) == (content_type, ext)
    assert (result.width, result.height) == size
    assert (result.thumb_w, result.thumb_h) == thumb
    assert decode(result.thumbnail_jpeg).size == thumb
    assert result.sha256 == hashlib.sha256(data).hexdigest()


def test_exif_orientation_is_applied_to_sizes_and_pixels() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: display rotated 90 degrees clockwise
    result = inspect_and_thumbnail(photo((800, 400), "JPEG", exif=exif), POLICY)
    assert (result.width, result.height) == (400, 800)
    thumb = decode(result.thumbnail_jpeg).convert("RGB")
    assert thumb.size == (160, 320)
    top, bottom = thumb.getpixel((80, 10)), thumb.getpixel((80, 310))
    assert isinstance(top, tuple) and isinstance(bottom, tuple)
    assert top[2] > 100 > top[0], "the stored left half (navy) is on top once rotated clockwise"
    assert bottom[0] > 200 > bottom[2], "the stored right half (orange) is at the bottom"


def test_transparency_is_flattened_on_white() -> None:
    data = encode(Image.new("RGBA", (64, 64), (0, 0, 0, 0)), "PNG")
    pixel = decode(inspect_and_thumbnail(data, POLICY).thumbnail_jpeg).convert("RGB").getpixel((32, 32))
    assert isinstance(pixel, tuple) and min(pixel) > 245


def test_animated_gif_gives_its_first_frame() -> None:
    frames = [Image.new("RGB", (40, 40), colour) for colour in ("red", "blue", "blue")]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    pixel = decode(inspect_and_thumbnail(data, POLICY).thumbnail_jpeg).convert("RGB").getpixel((20, 20))
    assert isinstance(pixel, tuple) and pixel[0] > 200 > pixel[2]


def test_the_name_and_claimed_type_are_irrelevant_only_bytes_count(tmp_path: Path) -> None:
    named_jpeg = tmp_path / "product.jpg"
    named_jpeg.write_bytes(photo((300, 300), "PNG"))
    assert inspect_and_thumbnail(named_jpeg.read_bytes(), POLICY).format is ImageFormat.PNG


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_a_truncated_file_is_rejected(fmt: str) -> None:
    data = photo((1200, 900), fmt)
    assert rejected(data[: len(data) // 2]) is RejectReason.DECODE


def test_corrupt_png_data_is_rejected() -> None:
    data = bytearray(photo((200, 200), "PNG"))
    idat = data.index(b"IDAT")
    data[idat + 20 : idat + 40] = b"\x00" * 20  # breaks the chunk's CRC
    assert rejected(bytes(data)) is RejectReason.DECODE


def png_declaring(width: int, height: int) -> bytes:
    """A tiny valid PNG whose header is then patched to declare ``width`` x ``height`` (CRC fixed)."""
    data = bytearray(encode(Image.new("L", (8, 8)), "PNG"))
    ihdr = data.index(b"IHDR")
    data[ihdr + 4 : ihdr + 12] = struct.pack(">II", width, height)
    data[ihdr + 17 : ihdr + 21] = struct.pack(">I", zlib.crc32(data[ihdr : ihdr + 17]))
    return bytes(data)


def test_a_decompression_bomb_is_rejected_before_decoding() -> None:
    bomb = png_declaring(30_000, 30_000)
    assert len(bomb) < 200
    assert rejected(bomb) is RejectReason.BOMB


def test_a_real_compressed_bomb_is_rejected() -> None:
    bomb = encode(Image.new("1", (10_000, 10_000)), "PNG")  # 100 MP in a few KB
    assert len(bomb) < 100_000
    assert rejected(bomb) is RejectReason.BOMB


def test_the_policy_pixel_limit_applies_below_pillows_own() -> None:
    small_limit = ImagePolicy(max_pixels=10_000)
    assert rejected(photo((200, 100), "PNG"), small_limit) is RejectReason.BOMB
    assert inspect_and_thumbnail(photo((100, 100), "PNG"), small_limit).width == 100


def test_a_gif_header_in_front_of_html_is_rejected() -> None:
    polyglot = b"GIF89a/*\x01\x00" + b"*/=1;<html><script>alert(document.cookie)</script></html>" * 4
    assert rejected(polyglot) in {RejectReason.FORMAT, RejectReason.DECODE}


@pytest.mark.parametrize(
    "data",
    [
        photo((50, 50), "BMP"),
        photo((50, 50), "TIFF"),
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        b"<html><body>not an image</body></html>",
        b"",
        bytes(range(256)) * 8,
    ],
    ids=["bmp", "tiff", "svg", "html", "empty", "garbage"],
)
def test_anything_outside_the_accepted_formats_is_rejected(data: bytes) -> None:
    assert rejected(data) is RejectReason.FORMAT


def test_a_policy_can_narrow_the_formats() -> None:
    png_only = ImagePolicy(formats=frozenset({ImageFormat.PNG}))
    assert rejected(photo((50, 50), "JPEG"), png_only) is RejectReason.FORMAT


@pytest.fixture(scope="module", params=["thread", "process"])
def executor(request: pytest.FixtureRequest) -> Iterator[Executor]:
    pool = create_image_executor(request.param, max_workers=2)
    yield pool
    pool.shutdown()


async def test_processing_runs_in_the_executor_and_errors_come_back_intact(executor: Executor) -> None:
    result = await process_image(photo((640, 480)), POLICY, executor)
    assert (result.thumb_w, result.thumb_h) == (320, 240)
    with pytest.raises(ImageRejected) as caught:
        await process_image(png_declaring(30_000, 30_000), POLICY, executor)
    assert caught.value.reason is RejectReason.BOMB


def test_a_bomb_is_refused_with_its_size_and_the_configured_limit() -> None:
    with pytest.raises(ImageRejected) as caught:
        inspect_and_thumbnail(png_declaring(30_000, 30_000), ImagePolicy(max_pixels=25_000_000))
    assert caught.value.reason_detail == "declares 900,000,000 pixels, above the limit of 25,000,000 pixels"
    assert str(caught.value).count("bomb") == 1
