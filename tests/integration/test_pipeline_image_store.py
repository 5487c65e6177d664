"""How the pipeline stores an image in the real S3 (SeaweedFS through toxiproxy): which calls, what ends up there."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from obstore.store import S3Store

from control_plane.integrations.images import S3ImageStore
from control_plane.integrations.images.storage import ObjectNotFound, Operation, s3_client_factory
from control_plane.services.image_ingest import put_image
from control_plane.settings import Settings


class CountingStore(S3ImageStore):
    """The real store, recording the S3 operations it sends."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(s3_client_factory(settings.s3))
        self.calls: list[str] = []

    async def _call(self, operation: Operation, key: str, send: Callable[[S3Store], Awaitable[Any]]) -> Any:
        self.calls.append(operation)
        return await super()._call(operation, key, send)


@pytest.fixture
async def counting_store(settings: Settings) -> AsyncIterator[CountingStore]:
    async with CountingStore(settings) as store:
        yield store


@pytest.fixture
def keys() -> tuple[str, str]:
    """Keys of this test alone (the bucket is shared), removed afterwards by the test."""
    run = uuid.uuid4().hex
    return f"test-put-image/{run}/original.jpg", f"test-put-image/{run}/thumbnail.jpg"


async def test_a_new_image_costs_one_head_and_two_puts_and_a_stored_one_uploads_nothing(
    counting_store: CountingStore, keys: tuple[str, str]
) -> None:
    try:
        await put_image(counting_store, keys, b"original bytes", "image/png", b"thumbnail bytes")
        assert sorted(counting_store.calls) == ["head_object", "put_object", "put_object"]
        assert await counting_store.get(keys[0]) == b"original bytes"
        assert await counting_store.get(keys[1]) == b"thumbnail bytes"
        assert (await counting_store.head(keys[0])).content_type == "image/png"
        counting_store.calls.clear()

        await put_image(counting_store, keys, b"original bytes", "image/png", b"thumbnail bytes")
        assert counting_store.calls == ["head_object", "head_object"], "a stored image is only checked"
    finally:
        for key in keys:
            await counting_store.delete(key)


async def test_a_missing_thumbnail_of_a_stored_original_is_put_again(
    counting_store: CountingStore, keys: tuple[str, str]
) -> None:
    try:
        await counting_store.put(keys[0], b"original bytes", "image/jpeg")
        counting_store.calls.clear()
        await put_image(counting_store, keys, b"original bytes", "image/jpeg", b"thumbnail bytes")
        assert counting_store.calls == ["head_object", "head_object", "put_object"]
        assert await counting_store.get(keys[1]) == b"thumbnail bytes"
    finally:
        for key in keys:
            await counting_store.delete(key)
    with pytest.raises(ObjectNotFound):
        await counting_store.head(keys[1])
