"""What one worker process holds for its whole life, built on arq startup and closed on shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
from contextlib import AsyncExitStack
from datetime import timedelta
from typing import Any

import structlog

from control_plane.db.engine import create_engine, create_session_factory
from control_plane.domain.ratelimit import BucketSpec
from control_plane.integrations.images import (
    S3ImageStore,
    SafeImageFetcher,
    create_image_executor,
    image_policy,
)
from control_plane.integrations.providers import ProviderClients, create_http_client
from control_plane.integrations.redis_state.token_bucket import RedisTokenBucket
from control_plane.integrations.secrets import SecretBox
from control_plane.logging import configure_logging
from control_plane.services.image_ingest import ImageTools
from control_plane.services.metrics import presence
from control_plane.settings import Settings, ensure_production_secrets


def worker_id() -> str:
    """Stable per process: host, configured name (or pid)."""
    return f"{socket.gethostname()}:{os.environ.get('ICP_WORKER_NAME', os.getpid())}"


async def open_resources(ctx: dict[str, Any], settings: Settings) -> None:
    """Fill arq's ctx: database, provider clients, image tools, limiter; closed by close_resources."""
    ensure_production_secrets(settings)  # a production worker never runs on the public development secrets
    configure_logging()
    logging.getLogger("arq").handlers.clear()  # arq's CLI adds a plain-text handler; keep one JSON stream
    stack = AsyncExitStack()
    engine = create_engine(settings.database)
    stack.push_async_callback(engine.dispose)
    http = await stack.enter_async_context(create_http_client(settings))
    policy = image_policy(settings.images)
    fetcher = await stack.enter_async_context(
        SafeImageFetcher(None, policy, allow_hosts=settings.images.allowed_hosts)  # it owns and closes its client
    )
    store = await stack.enter_async_context(S3ImageStore.from_settings(settings.s3))
    executor = create_image_executor(settings.images.executor, settings.images.executor_workers)
    stack.callback(executor.shutdown, wait=False, cancel_futures=True)
    me = worker_id()
    beat = asyncio.create_task(
        presence(ctx["redis"], settings).run(me, settings.worker.heartbeat_interval_s, on_drain=_drain_self)
    )
    stack.push_async_callback(_stop, beat)
    ctx.update(
        exit_stack=stack,
        settings=settings,
        sessions=create_session_factory(engine),
        worker_id=me,
        lease_ttl=timedelta(seconds=settings.worker.lease_ttl_s),
        secrets=SecretBox(settings.provider.secrets_key.get_secret_value()),
        provider_clients=ProviderClients(http, ctx["redis"], settings),
        image_tools=ImageTools(fetcher=fetcher, store=store, executor=executor, policy=policy),
        job_starts=RedisTokenBucket(ctx["redis"]),
        job_start_spec=BucketSpec.per_minute(settings.rate_limit.job_starts_per_minute),
    )


def _drain_self() -> None:
    """An operator asked this worker to drain: SIGTERM runs arq's graceful shutdown (finish or hand back)."""
    structlog.get_logger("workers").warning("worker.drain_requested", worker_id=worker_id())
    os.kill(os.getpid(), signal.SIGTERM)


async def _stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def close_resources(ctx: dict[str, Any]) -> None:
    stack: AsyncExitStack | None = ctx.get("exit_stack")
    if stack is not None:
        await stack.aclose()
