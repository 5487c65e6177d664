"""The worker's feeder loop: fills free worker slots from the fair dispatcher (see integrations.feeder)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from control_plane.domain.fair_share import TierWeights
from control_plane.domain.ratelimit import BucketSpec
from control_plane.integrations.feeder import Feeder, FeederConfig
from control_plane.services.metrics import presence
from control_plane.settings import Settings


def feeder(ctx: dict[str, Any], settings: Settings) -> Feeder:
    config = FeederConfig(
        slots_per_worker=settings.worker.concurrency,
        start_spec=BucketSpec.per_minute(settings.rate_limit.job_starts_per_minute),
        weights=TierWeights(),
    )
    return Feeder(ctx["redis"], settings.redis.queue_name, presence(ctx["redis"], settings), config)


async def start_feeder(ctx: dict[str, Any], settings: Settings) -> None:
    """Run the loop for the worker's life; it is cancelled with the worker's other resources."""
    wake = asyncio.Event()
    task = asyncio.create_task(feeder(ctx, settings).run(settings.worker.feed_interval_s, wake))
    ctx["feeder_wake"] = wake
    ctx["exit_stack"].push_async_callback(_stop, task)


def wake_feeder(ctx: dict[str, Any]) -> None:
    wake: asyncio.Event | None = ctx.get("feeder_wake")
    if wake is not None:
        wake.set()


async def _stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
