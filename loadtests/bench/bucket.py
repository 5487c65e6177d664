"""A bucket of the bench's own, so uploads are real and the stack's bucket is never touched.

Keys are content addresses shared by every company, so in the stack's bucket
most simulator images would already exist and only HEADs would be measured.
Bucket chores use the harness's botocore client in a thread: they are not part
of any figure.
"""

from __future__ import annotations

import asyncio
from typing import Any

from control_plane.settings import S3Settings
from harness.stack.bucket_chores import delete_keys, list_keys
from harness.stack.seaweedfs import s3_client

CHORE_TIMEOUT_S = 30.0


class BenchBucket:
    def __init__(self, settings: S3Settings) -> None:
        self._client = s3_client(settings, read_timeout_s=CHORE_TIMEOUT_S)
        self.name = settings.bucket

    async def create(self) -> None:
        await asyncio.to_thread(self._client.create_bucket, Bucket=self.name)

    async def keys(self) -> list[str]:
        return await asyncio.to_thread(list_keys, self._client, self.name)

    async def remove(self) -> None:
        """Delete every object, then the bucket; a bucket that is already gone is fine."""
        await asyncio.to_thread(self._remove)

    def _remove(self) -> None:
        client: Any = self._client
        try:
            keys = list_keys(client, self.name)
        except client.exceptions.NoSuchBucket:
            return
        delete_keys(client, self.name, keys)
        client.delete_bucket(Bucket=self.name)
