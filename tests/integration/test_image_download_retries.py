"""A dropped connection or a 5xx from an image host is tried again; a 404 is not.

A real HTTP server on loopback misbehaves on purpose; the fetcher, the decoder
and the S3 store are the worker's own.
"""

from __future__ import annotations

import asyncio
import io
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image

from control_plane.db.repositories.catalog import PendingImage
from control_plane.domain.images import ImagePolicy
from control_plane.integrations.images import S3ImageStore, SafeImageFetcher
from control_plane.services.image_ingest import ImageIngest, ImageTools

pytestmark = pytest.mark.integration


def _jpeg(seed: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (seed % 256, 90, 160)).save(buffer, "JPEG")
    return buffer.getvalue()


class FlakyImageHost:
    """Per path: how many requests to spoil first, and how (drop the connection or answer 503)."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.plan: dict[str, tuple[str, int]] = {}
        self.requests: dict[str, int] = {}
        self.port = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request_line = (await reader.readline()).decode()
        while (await reader.readline()) not in (b"\r\n", b""):
            pass
        path = request_line.split(" ")[1]
        seen = self.requests[path] = self.requests.get(path, 0) + 1
        fault, times = self.plan.get(path, ("", 0))
        if seen <= times and fault == "drop":
            writer.close()  # no response at all: "server disconnected"
            return
        status, body = ("503 Service Unavailable", b"busy") if seen <= times else ("200 OK", self.body)
        if fault == "404":
            status, body = "404 Not Found", b"gone"
        head = (
            f"HTTP/1.1 {status}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        writer.write(head.encode() + body)
        await writer.drain()
        writer.close()


@pytest.fixture
async def flaky_host() -> AsyncIterator[FlakyImageHost]:
    host = FlakyImageHost(_jpeg(int(uuid.uuid4()) % 997))
    server = await asyncio.start_server(host.handle, "127.0.0.1", 0)
    host.port = server.sockets[0].getsockname()[1]
    async with server:
        yield host


async def test_dropped_and_5xx_downloads_are_retried_and_a_404_is_not(
    flaky_host: FlakyImageHost, store: S3ImageStore
) -> None:
    policy = ImagePolicy(download_attempts=3, retry_backoff_s=0.05)
    flaky_host.plan = {"/dropped.jpg": ("drop", 2), "/busy.jpg": ("503", 1), "/gone.jpg": ("404", 0)}
    base = f"http://127.0.0.1:{flaky_host.port}"
    pending = [
        PendingImage(uuid.uuid4(), uuid.uuid4(), f"{base}{path}")
        for path in ("/dropped.jpg", "/busy.jpg", "/gone.jpg", "/always-down.jpg")
    ]
    flaky_host.plan["/always-down.jpg"] = ("drop", 99)
    with ThreadPoolExecutor(max_workers=2) as executor:
        async with SafeImageFetcher(None, policy, allow_hosts=frozenset({f"127.0.0.1:{flaky_host.port}"})) as fetcher:
            tools = ImageTools(fetcher=fetcher, store=store, executor=executor, policy=policy)
            result = await ImageIngest(tools, concurrency=4).ingest(pending)

    stored = {image.id for image in result.stored}
    assert stored == {pending[0].id, pending[1].id}, result.failed
    failed = {image.source_url.rsplit("/", 1)[1]: reason for image, reason in result.failed}
    assert failed["gone.jpg"].startswith("http_status") and "tries" not in failed["gone.jpg"]
    assert failed["always-down.jpg"].startswith("connection") and "after 3 tries" in failed["always-down.jpg"]
    assert flaky_host.requests == {"/dropped.jpg": 3, "/busy.jpg": 2, "/gone.jpg": 1, "/always-down.jpg": 3}
    assert await store.get(result.stored[0].s3_key) == flaky_host.body
