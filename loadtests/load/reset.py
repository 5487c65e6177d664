"""Start a load run from nothing: empty job store, empty Redis database, optionally an empty bucket."""

from __future__ import annotations

import asyncio

from sqlalchemy.exc import DBAPIError

from control_plane.db.engine import create_engine, create_session_factory
from control_plane.db.repositories.load_runs import LoadRunRepository
from control_plane.integrations.images import s3_client_factory
from control_plane.integrations.queue import create_redis
from harness.settings import HarnessSettings

DELETE_BATCH = 1000
TRUNCATE_ATTEMPTS = 30


async def reset_state(settings: HarnessSettings, *, empty_bucket: bool) -> list[str]:
    """Truncate every table, flush the Redis database; with ``empty_bucket`` delete every image object too."""
    tables = await _truncate(settings)
    redis = create_redis(settings.redis)
    try:
        await redis.flushdb()
    finally:
        await redis.aclose()
    if empty_bucket:
        await _empty_bucket(settings)
    return tables


async def _truncate(settings: HarnessSettings) -> list[str]:
    """TRUNCATE, tried again when it deadlocks with a worker still finishing a job of an earlier run."""
    engine = create_engine(settings.database)
    try:
        for attempt in range(1, TRUNCATE_ATTEMPTS + 1):
            try:
                async with create_session_factory(engine)() as session:
                    tables = await LoadRunRepository(session).truncate_everything()
                    await session.commit()
                    return tables
            except DBAPIError:
                if attempt == TRUNCATE_ATTEMPTS:
                    raise
                await asyncio.sleep(2.0)  # API requests still in flight release their locks meanwhile
        raise AssertionError("unreachable")
    finally:
        await engine.dispose()


async def bucket_keys(settings: HarnessSettings) -> set[str]:
    keys: set[str] = set()
    async with s3_client_factory(settings.s3)() as client:
        paginator = client.get_paginator("list_objects_v2")
        async for page in paginator.paginate(Bucket=settings.s3.bucket):
            keys.update(item["Key"] for item in page.get("Contents", []))
    return keys


async def _empty_bucket(settings: HarnessSettings) -> None:
    keys = sorted(await bucket_keys(settings))
    async with s3_client_factory(settings.s3)() as client:
        for start in range(0, len(keys), DELETE_BATCH):
            batch = [{"Key": key} for key in keys[start : start + DELETE_BATCH]]
            await client.delete_objects(Bucket=settings.s3.bucket, Delete={"Objects": batch, "Quiet": True})
