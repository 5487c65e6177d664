"""What one worker process holds for its whole life, built on arq startup and closed on shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
from collections.abc import MutableMapping
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar, overload

import structlog
from arq.connections import ArqRedis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from control_plane.db.engine import create_engine, create_session_factory
from control_plane.integrations.feeder import Feeder, FeederConfig, FeederLoop
from control_plane.integrations.images import (
    S3ImageStore,
    SafeImageFetcher,
    create_image_executor,
    image_policy,
)
from control_plane.integrations.providers import ProviderClients, create_http_client
from control_plane.integrations.queue import RedisWorkQueue
from control_plane.integrations.redis_state.job_changes import JobChangePublisher
from control_plane.integrations.secrets import SecretBox
from control_plane.logging import configure_logging
from control_plane.services.image_ingest import ImageTools
from control_plane.services.metrics import presence
from control_plane.settings import Settings, ensure_production_secrets

RESOURCES_KEY = "resources"
"""The one key this project sets in arq's ctx (arq itself sets ``redis``, ``job_id`` and the like)."""
_R = TypeVar("_R", bound="CronResources")


@dataclass(frozen=True)
class CronResources:
    """What the periodic tasks (reconciliation, ops evaluation) use."""

    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    redis: ArqRedis

    @property
    def queue(self) -> RedisWorkQueue:
        return RedisWorkQueue(self.redis, self.settings.redis.queue_name)


@dataclass(frozen=True)
class WorkerResources(CronResources):
    """Everything an import task uses, opened once per worker process and closed on shutdown."""

    worker_id: str
    lease_ttl: timedelta
    secrets: SecretBox
    provider_clients: ProviderClients
    image_tools: ImageTools
    feeder: FeederLoop
    exit_stack: AsyncExitStack


@overload
def resources(ctx: MutableMapping[str, Any]) -> WorkerResources: ...


@overload
def resources(ctx: MutableMapping[str, Any], kind: type[_R]) -> _R: ...


def resources(ctx: MutableMapping[str, Any], kind: type[CronResources] = WorkerResources) -> CronResources:
    """The worker's resources from arq's ctx, typed (``kind=CronResources`` for what periodic tasks need)."""
    found = ctx.get(RESOURCES_KEY)
    if not isinstance(found, kind):
        raise RuntimeError(f"arq's ctx holds no {kind.__name__}: the worker's startup did not run")
    return found


def worker_id() -> str:
    """Stable per process: host, configured name (or pid)."""
    return f"{socket.gethostname()}:{os.environ.get('ICP_WORKER_NAME', os.getpid())}"


async def open_resources(ctx: MutableMapping[str, Any], settings: Settings) -> None:
    """Open the worker's resources (database, provider clients, image tools, feeder) into arq's ctx."""
    ensure_production_secrets(settings)  # a production worker never runs on the public development secrets
    configure_logging()
    logging.getLogger("arq").handlers.clear()  # arq's CLI adds a plain-text handler; keep one JSON stream
    redis: ArqRedis = ctx["redis"]
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
        presence(redis, settings).run(me, settings.worker.heartbeat_interval_s, on_drain=_drain_self)
    )
    stack.push_async_callback(_stop, beat)
    feeder = FeederLoop(
        Feeder(redis, settings.redis.queue_name, presence(redis, settings), FeederConfig.of(settings)),
        settings.worker.feed_interval_s,
    )
    ctx[RESOURCES_KEY] = WorkerResources(
        settings=settings,
        sessions=create_session_factory(engine, announce=JobChangePublisher(redis, settings.redis.queue_name).announce),
        redis=redis,
        worker_id=me,
        lease_ttl=timedelta(seconds=settings.worker.lease_ttl_s),
        secrets=SecretBox(settings.provider.secrets_key.get_secret_value()),
        provider_clients=ProviderClients(http, redis, settings),
        image_tools=ImageTools(fetcher=fetcher, store=store, executor=executor, policy=policy),
        feeder=feeder,
        exit_stack=stack,
    )


def start_feeder(ctx: MutableMapping[str, Any]) -> None:
    """Start the feeder loop; it is stopped with the worker's other resources."""
    worker = resources(ctx)
    worker.feeder.start()
    worker.exit_stack.push_async_callback(worker.feeder.stop)


def _drain_self() -> None:
    """An operator asked this worker to drain: SIGTERM runs arq's graceful shutdown (finish or hand back)."""
    structlog.get_logger("workers").warning("worker.drain_requested", worker_id=worker_id())
    os.kill(os.getpid(), signal.SIGTERM)


async def _stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def close_resources(ctx: MutableMapping[str, Any]) -> None:
    found = ctx.get(RESOURCES_KEY)
    if isinstance(found, WorkerResources):
        await found.exit_stack.aclose()
