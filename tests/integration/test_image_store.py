"""Content-addressed image objects in the real SeaweedFS, through the `s3` toxiproxy proxy."""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

from control_plane.domain.errors import DependencyUnavailable
from control_plane.domain.images import ImageFormat, original_key, thumbnail_key
from control_plane.integrations.images.storage import (
    CACHE_CONTROL,
    ObjectNotFound,
    S3ImageStore,
    StorageRejected,
    StorageUnavailable,
    StoredObject,
    s3_client_factory,
)
from control_plane.settings import S3Settings, Settings
from harness.stack.toxiproxy import ToxiproxyClient


@pytest.fixture
async def store(settings: Settings) -> AsyncIterator[S3ImageStore]:
    factory = s3_client_factory(settings.s3, connect_timeout_s=1.0, read_timeout_s=3.0)
    async with S3ImageStore(factory) as opened:
        yield opened


@pytest.fixture
async def cleanup(store: S3ImageStore) -> AsyncIterator[list[str]]:
    keys: list[str] = []
    yield keys
    for key in keys:
        await store.delete(key)


def unique_bytes() -> tuple[bytes, str]:
    data = b"\xff\xd8\xff\xe0 test image " + os.urandom(32)
    return data, hashlib.sha256(data).hexdigest()


async def test_put_if_absent_uploads_once_and_keeps_bytes_and_content_type(
    store: S3ImageStore, cleanup: list[str]
) -> None:
    data, digest = unique_bytes()
    key = original_key(digest, ImageFormat.JPEG)
    cleanup.append(key)
    assert not await store.exists(key)
    assert await store.put_if_absent(key, data, "image/jpeg") is True
    assert await store.put_if_absent(key, data, "image/jpeg") is False, "a re-run uploads nothing"
    assert await store.exists(key)
    assert await store.get(key) == data
    assert await store.head(key) == StoredObject(len(data), "image/jpeg", CACHE_CONTROL)


async def test_thumbnails_live_beside_originals(store: S3ImageStore, cleanup: list[str]) -> None:
    data, digest = unique_bytes()
    key = thumbnail_key(digest, (320, 320))
    cleanup.append(key)
    assert await store.put_if_absent(key, data, "image/jpeg")
    assert await store.get(key) == data


async def test_missing_and_deleted_objects(store: S3ImageStore) -> None:
    data, digest = unique_bytes()
    key = original_key(digest, ImageFormat.PNG)
    with pytest.raises(ObjectNotFound):
        await store.get(key)
    await store.put_if_absent(key, data, "image/png")
    await store.delete(key)
    assert not await store.exists(key)


async def test_storage_away_is_retryable(store: S3ImageStore, toxiproxy: ToxiproxyClient) -> None:
    _, digest = unique_bytes()
    with toxiproxy.disabled("s3"), pytest.raises(StorageUnavailable) as caught:
        await store.exists(original_key(digest, ImageFormat.JPEG))
    assert isinstance(caught.value, DependencyUnavailable) and caught.value.dependency == "s3"


async def test_refused_credentials_are_not_retryable(settings: Settings) -> None:
    wrong = S3Settings(**{**settings.s3.model_dump(), "secret_access_key": SecretStr("not-the-secret")})
    async with S3ImageStore.from_settings(wrong) as store:
        with pytest.raises(StorageRejected) as caught:
            await store.exists(original_key(unique_bytes()[1], ImageFormat.JPEG))
    assert not isinstance(caught.value, ObjectNotFound)


async def test_a_closed_store_says_so() -> None:
    store = S3ImageStore(s3_client_factory(S3Settings()))
    with pytest.raises(RuntimeError, match="not open"):
        await store.exists("originals/00/x.jpg")
