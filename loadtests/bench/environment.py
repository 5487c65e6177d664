"""The bench's own corner of the running stack: a database, a Redis logical db, a queue, a bucket.

Everything is created for one run and removed after it, so benchmarks never
touch the stack's data or that of the tests running beside them.  Settings
are derived the way the tests derive theirs (same sections, other names), and
the worker process receives the same values as environment variables.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import asyncpg  # type: ignore[import-untyped]

from control_plane.db.migrate import run_migration
from control_plane.settings import DatabaseSettings, ImageSettings, RedisSettings, S3Settings
from harness.settings import HarnessSettings

BENCH_DATABASE = "icp_bench"
BENCH_REDIS_DB = 2
BENCH_QUEUE = "icp:bench:queue"
BENCH_BUCKET_PREFIX = "icp-bench"


@dataclass(frozen=True)
class Target:
    """Where this run writes; chosen on the command line."""

    database: str = BENCH_DATABASE
    redis_db: int = BENCH_REDIS_DB
    queue: str = BENCH_QUEUE
    bucket: str = BENCH_BUCKET_PREFIX


def simulator_hosts(settings: HarnessSettings) -> str:
    """The simulator's proxy listeners, the only loopback hosts image downloads may reach here."""
    sim = settings.simulator
    return f"127.0.0.1:{sim.shopify_proxy_port},127.0.0.1:{sim.roastify_proxy_port}"


def check_target(base: HarnessSettings, target: Target) -> None:
    """Refuse to run over the stack's own database or Redis db: the bench drops and flushes what it uses."""
    if target.database in (base.database.name, "postgres", "template0", "template1"):
        raise SystemExit(f"refusing to use database {target.database!r}: the bench drops it afterwards")
    if target.redis_db == base.redis.database:
        raise SystemExit(f"refusing to use Redis db {target.redis_db}: the stack's workers use it")


def bench_settings(base: HarnessSettings, target: Target) -> HarnessSettings:
    """``base`` pointed at the bench database, Redis db, queue and bucket, with simulator images allowed."""
    return replace(
        base,
        database=DatabaseSettings(**{**base.database.model_dump(), "name": target.database}),
        redis=RedisSettings(**{**base.redis.model_dump(), "database": target.redis_db, "queue_name": target.queue}),
        s3=S3Settings(**{**base.s3.model_dump(), "bucket": target.bucket}),
        images=ImageSettings(**{**base.images.model_dump(), "allow_hosts": simulator_hosts(base)}),
    )


def worker_environment(settings: HarnessSettings, worker_name: str) -> dict[str, str]:
    """The variables that make a worker process read ``settings`` (only what differs from the stack's)."""
    return {
        "ICP_DB_NAME": settings.database.name,
        "ICP_REDIS_DATABASE": str(settings.redis.database),
        "ICP_REDIS_QUEUE_NAME": settings.redis.queue_name,
        "ICP_S3_BUCKET": settings.s3.bucket,
        "ICP_IMAGES_ALLOW_HOSTS": settings.images.allow_hosts,
        "ICP_WORKER_NAME": worker_name,
        "PYTHONUNBUFFERED": "1",
    }


def api_environment(settings: HarnessSettings, port: int, workers: int) -> dict[str, str]:
    """The variables that make an API process read ``settings`` and listen on ``port`` with ``workers``."""
    return {
        "ICP_DB_NAME": settings.database.name,
        "ICP_REDIS_DATABASE": str(settings.redis.database),
        "ICP_REDIS_QUEUE_NAME": settings.redis.queue_name,
        "ICP_S3_BUCKET": settings.s3.bucket,
        "ICP_API_PORT": str(port),
        "ICP_API_WORKERS": str(workers),
        "PYTHONUNBUFFERED": "1",
    }


async def _admin_connection(db: DatabaseSettings) -> asyncpg.Connection:
    return await asyncpg.connect(
        host=db.host, port=db.port, user=db.user, password=db.password.get_secret_value(), database="postgres"
    )


async def create_database(db: DatabaseSettings) -> None:
    """A fresh database at the latest migration (a leftover from an interrupted run is dropped first)."""
    await drop_database(db)
    conn = await _admin_connection(db)
    try:
        await conn.execute(f'CREATE DATABASE "{db.name}"')
    finally:
        await conn.close()
    await run_migration(db, "head")


async def drop_database(db: DatabaseSettings) -> None:
    conn = await _admin_connection(db)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{db.name}" WITH (FORCE)')
    finally:
        await conn.close()
