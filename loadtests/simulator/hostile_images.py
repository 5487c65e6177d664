"""``GET /_hostile/images/{case}/{name}``: image URLs that attack the importer instead of serving a picture.

Each case is something a hostile or broken catalog can point an image URL at:
redirects into our own network, bodies that never end or inflate, files that
are not what they claim.  The importer must refuse every one of them as a
failed image with a reason; ``ok`` is the control (a real PNG).
"""

from __future__ import annotations

import asyncio
import gzip
import struct
import zlib
from collections.abc import AsyncIterator
from functools import lru_cache
from io import BytesIO

from litestar import Response
from litestar.response import Redirect, Stream
from PIL import Image as PilImage

from loadtests.simulator.responses import AnyRequest, json_response

METADATA_URL = "http://169.254.169.254/latest/meta-data/iam/security-credentials/"
CHUNK = b"\0" * 65_536


def _png(width: int, height: int) -> bytes:
    out = BytesIO()
    PilImage.new("RGB", (width, height), (200, 80, 40)).save(out, "PNG")
    return out.getvalue()


@lru_cache(maxsize=1)
def ok_png() -> bytes:
    return _png(32, 24)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@lru_cache(maxsize=1)
def pixel_bomb_png() -> bytes:
    """A valid PNG header declaring 100,000 x 100,000 pixels over a tiny compressed stream."""
    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\0" * 65_536, 9)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", pixels) + _chunk(b"IEND", b"")


@lru_cache(maxsize=1)
def gzip_bomb() -> bytes:
    """64 MiB of zeros in about 64 KiB, sent with ``Content-Encoding: gzip``."""
    return gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=9)


POLYGLOT_HTML = b"<html><body><script>fetch('/steal?c='+document.cookie)</script></body></html>"
GIF_JS = b"GIF89a/*\x01\x00\x01\x00\x00\xff\x00,*/=1;alert(document.domain)//" + b"\0" * 16 + b";"
SVG_SCRIPT = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


async def _endless(first: bytes = b"") -> AsyncIterator[bytes]:
    yield first
    while True:
        yield CHUNK
        await asyncio.sleep(0)


async def _trickle() -> AsyncIterator[bytes]:
    yield b"\x89PNG\r\n\x1a\n"
    while True:
        await asyncio.sleep(0.2)
        yield b"\0"


def _local(request: AnyRequest, host: str, case: str) -> str:
    return f"http://{host}:{request.url.port}/_hostile/images/{case}/1.png"


def serve(request: AnyRequest, case: str) -> Response[bytes] | Redirect | Stream:
    """The hostile answer for ``case``; 404 for an unknown case."""
    redirects = {
        "redirect_metadata": METADATA_URL,
        "redirect_loopback": "http://127.0.0.1/admin",
        "redirect_private_dns": _local(request, "localhost", "ok"),
    }
    if case in redirects:
        return Redirect(redirects[case], status_code=302)
    if case == "endless":
        return Stream(_endless(b"\x89PNG\r\n\x1a\n"), media_type="image/png")
    if case == "huge_declared":
        headers = {"Content-Length": str(10 * 1024**3)}
        return Stream(_endless(b"\x89PNG\r\n\x1a\n"), media_type="image/png", headers=headers)
    if case == "trickle":
        return Stream(_trickle(), media_type="image/png")
    if case == "gzip_bomb":
        return Response(gzip_bomb(), media_type="image/png", headers={"Content-Encoding": "gzip"})
    bodies = {
        "ok": (ok_png(), "image/png"),
        "pixel_bomb": (pixel_bomb_png(), "image/png"),
        "polyglot_png_html": (ok_png() + POLYGLOT_HTML, "image/png"),
        "polyglot_gif_js": (GIF_JS, "image/gif"),
        "html_as_jpeg": (POLYGLOT_HTML, "image/jpeg"),
        "svg_script": (SVG_SCRIPT, "image/svg+xml"),
    }
    if case not in bodies:
        return json_response({"error": f"unknown hostile image case {case!r}"}, 404)
    body, media_type = bodies[case]
    return Response(body, media_type=media_type)


IMAGE_CASES = (
    "ok",
    "redirect_metadata",
    "redirect_loopback",
    "redirect_private_dns",
    "private_dns",
    "endless",
    "huge_declared",
    "trickle",
    "gzip_bomb",
    "pixel_bomb",
    "polyglot_png_html",
    "polyglot_gif_js",
    "html_as_jpeg",
    "svg_script",
)
"""Every case a catalog in ``images`` mode carries, one product each (``private_dns`` is a URL, not a route)."""


def image_url(request: AnyRequest, case: str) -> str:
    """Where a product's image points for ``case``: this simulator, or ``localhost`` for ``private_dns``."""
    if case == "private_dns":
        return _local(request, "localhost", "ok")
    return f"{request.url.scheme}://{request.url.netloc}/_hostile/images/{case}/1.png"
