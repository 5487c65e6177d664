"""A bucket of the bench's own, so uploads are real and the stack's bucket is never touched.

Keys are content addresses shared by every company, so in the stack's bucket
most simulator images would already exist and only HEADs would be measured.
"""

from __future__ import annotations

from typing import Any

from control_plane.integrations.images import s3_client_factory
from control_plane.settings import S3Settings

DELETE_BATCH = 1000  # the most S3 deletes in one request


class BenchBucket:
    def __init__(self, settings: S3Settings) -> None:
        self._open = s3_client_factory(settings)
        self.name = settings.bucket

    async def create(self) -> None:
        async with self._open() as client:
            await client.create_bucket(Bucket=self.name)

    async def keys(self) -> list[str]:
        async with self._open() as client:
            return await self._keys(client)

    async def remove(self) -> None:
        """Delete every object, then the bucket; a bucket that is already gone is fine."""
        async with self._open() as client:
            try:
                keys = await self._keys(client)
            except client.exceptions.NoSuchBucket:
                return
            for start in range(0, len(keys), DELETE_BATCH):
                batch = [{"Key": key} for key in keys[start : start + DELETE_BATCH]]
                await client.delete_objects(Bucket=self.name, Delete={"Objects": batch, "Quiet": True})
            await client.delete_bucket(Bucket=self.name)

    async def _keys(self, client: Any) -> list[str]:
        keys: list[str] = []
        paginator = client.get_paginator("list_objects_v2")
        async for page in paginator.paginate(Bucket=self.name):
            keys += [item["Key"] for item in page.get("Contents", [])]
        return keys
