"""The worker's arq settings: run with `python -m workers workers.main.WorkerSettings` (see workers/polling.py)."""

from __future__ import annotations

from typing import Any, ClassVar

from arq.connections import RedisSettings as ArqRedisSettings
from arq.cron import CronJob
from arq.worker import Function, func

from control_plane.domain.jobs import IMPORT_TASK_NAME
from control_plane.settings import RedisSettings, get_settings
from workers.ops_tasks import ops_cron_jobs
from workers.reconciliation_tasks import reconciliation_cron_jobs
from workers.resources import close_resources, open_resources, resources, start_feeder
from workers.runtime import tune_garbage_collection
from workers.tasks import run_import

_settings = get_settings()
ARQ_MAX_TRIES = 10_000


async def startup(ctx: dict[str, Any]) -> None:
    await open_resources(ctx, _settings)
    tune_garbage_collection(_settings.worker.gc_young_threshold)
    start_feeder(ctx)


async def shutdown(ctx: dict[str, Any]) -> None:
    await close_resources(ctx)


async def job_ended(ctx: dict[str, Any]) -> None:
    """A slot is free: let the feeder fill it now rather than at its next tick."""
    resources(ctx).feeder.wake()


def arq_redis_settings(redis: RedisSettings) -> ArqRedisSettings:
    """arq's connection to Redis: at host and port, or to the primary the Sentinels name."""
    sentinels = redis.sentinel_addresses()
    return ArqRedisSettings(
        host=sentinels or redis.host,
        port=redis.port,
        sentinel=bool(sentinels),
        sentinel_master=redis.sentinel_master,
        database=redis.database,
        password=redis.password.get_secret_value() if redis.password else None,
        conn_timeout=int(redis.connect_timeout_s) or 1,
        conn_retries=30,
        conn_retry_delay=1,
        ssl=redis.tls,
    )


class WorkerSettings:
    # Attempts are counted in PostgreSQL; arq may re-queue (defer) a job as often as needed.
    functions: ClassVar[list[Function]] = [func(run_import, name=IMPORT_TASK_NAME, max_tries=ARQ_MAX_TRIES)]
    cron_jobs: ClassVar[list[CronJob]] = [*reconciliation_cron_jobs(_settings.worker), *ops_cron_jobs(_settings.ops)]
    on_startup = startup
    on_shutdown = shutdown
    after_job_end = job_ended
    redis_settings = arq_redis_settings(_settings.redis)
    queue_name = _settings.redis.queue_name
    max_jobs = _settings.worker.concurrency
    poll_delay = _settings.worker.poll_delay_s
    job_timeout = _settings.worker.job_timeout_s
    health_check_interval = 10
    # SIGTERM: stop taking jobs, let running ones finish this long, then cancel them, which
    # checkpoints and hands each back to the queue for another worker (REQ-SLO-8: exit within 30 s).
    job_completion_wait = _settings.worker.drain_timeout_s
