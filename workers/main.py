"""arq entry point: `arq workers.main.WorkerSettings`."""

from __future__ import annotations

import os
import socket
from typing import Any, ClassVar

from arq.connections import RedisSettings as ArqRedisSettings
from arq.worker import Function, func

from control_plane.db.engine import create_engine, create_session_factory
from control_plane.domain.jobs import IMPORT_TASK_NAME
from control_plane.domain.ratelimit import BucketSpec
from control_plane.integrations.redis_state.token_bucket import RedisTokenBucket
from control_plane.logging import configure_logging
from control_plane.settings import get_settings
from workers.tasks import run_import

_settings = get_settings()
ARQ_MAX_TRIES = 10_000


def worker_id() -> str:
    """Stable per process: host, configured name (or pid)."""
    return f"{socket.gethostname()}:{os.environ.get('ICP_WORKER_NAME', os.getpid())}"


async def startup(ctx: dict[str, Any]) -> None:
    configure_logging()
    engine = create_engine(_settings.database)
    ctx["engine"] = engine
    ctx["sessions"] = create_session_factory(engine)
    ctx["worker_id"] = worker_id()
    ctx["job_starts"] = RedisTokenBucket(ctx["redis"])
    ctx["job_start_spec"] = BucketSpec.per_minute(_settings.rate_limit.job_starts_per_minute)


async def shutdown(ctx: dict[str, Any]) -> None:
    await ctx["engine"].dispose()


def _redis_settings() -> ArqRedisSettings:
    redis = _settings.redis
    return ArqRedisSettings(
        host=redis.host,
        port=redis.port,
        database=redis.database,
        password=redis.password.get_secret_value() if redis.password else None,
        conn_timeout=int(redis.connect_timeout_s) or 1,
        conn_retries=30,
        conn_retry_delay=1,
    )


class WorkerSettings:
    # Attempts are counted in PostgreSQL; arq may re-queue (defer) a job as often as needed.
    functions: ClassVar[list[Function]] = [func(run_import, name=IMPORT_TASK_NAME, max_tries=ARQ_MAX_TRIES)]
    on_startup = startup
    on_shutdown = shutdown
    redis_settings = _redis_settings()
    queue_name = _settings.redis.queue_name
    max_jobs = _settings.worker.concurrency
    job_timeout = _settings.worker.job_timeout_s
    health_check_interval = 10
