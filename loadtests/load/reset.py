"""Start a load run from nothing: empty job store, empty Redis database, optionally an empty bucket.

The stack's workers are stopped first and started again last, so the reset never
waits on a worker still busy with an earlier run's jobs nor deadlocks with it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import DBAPIError

from control_plane.db.engine import create_engine, create_session_factory
from control_plane.db.repositories.load_runs import LoadRunRepository
from control_plane.integrations.queue import create_redis
from harness.settings import HarnessSettings
from harness.stack import orchestrator
from harness.stack.bucket_chores import delete_keys, list_keys
from harness.stack.seaweedfs import s3_client

CHORE_TIMEOUT_S = 30.0
TRUNCATE_ATTEMPTS = 10
LOCK_TIMEOUT_MS = 2000
"""How long TRUNCATE waits for a lock before it gives up and tries again (an API request finishing)."""


async def reset_state(
    settings: HarnessSettings, *, empty_bucket: bool, echo: Callable[[str], None] = print
) -> list[str]:
    """Stop the workers, truncate every table, flush the Redis database, start the workers again.

    With ``empty_bucket`` every image object is deleted too. Workers this stack
    did not start (``--no-stack`` against another deployment) are not touched.
    """
    stopped = await asyncio.to_thread(orchestrator.stop_workers, settings, report=echo)
    try:
        return await _empty_stores(settings, empty_bucket=empty_bucket)
    finally:
        if stopped:
            await asyncio.to_thread(orchestrator.start_workers, settings, stopped, report=echo)


async def _empty_stores(settings: HarnessSettings, *, empty_bucket: bool) -> list[str]:
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
    """TRUNCATE with a lock timeout, tried again while API requests still in flight hold their locks."""
    engine = create_engine(settings.database)
    try:
        for attempt in range(1, TRUNCATE_ATTEMPTS + 1):
            try:
                async with create_session_factory(engine)() as session:
                    tables = await LoadRunRepository(session).truncate_everything(lock_timeout_ms=LOCK_TIMEOUT_MS)
                    await session.commit()
                    return tables
            except DBAPIError:
                if attempt == TRUNCATE_ATTEMPTS:
                    raise
                await asyncio.sleep(1.0)  # pause between attempts, not synchronisation: the next one retries
        raise AssertionError("unreachable")
    finally:
        await engine.dispose()


async def bucket_keys(settings: HarnessSettings) -> set[str]:
    return set(await asyncio.to_thread(list_keys, _chore_client(settings), settings.s3.bucket))


async def _empty_bucket(settings: HarnessSettings) -> None:
    client = _chore_client(settings)
    keys = sorted(await asyncio.to_thread(list_keys, client, settings.s3.bucket))
    await asyncio.to_thread(delete_keys, client, settings.s3.bucket, keys)


def _chore_client(settings: HarnessSettings) -> Any:
    return s3_client(settings.s3, read_timeout_s=CHORE_TIMEOUT_S)
