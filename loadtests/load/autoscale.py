"""``load run --autoscale``: during the run, start local workers as the autoscaler asks, as production's
orchestrator would (``harness/stack/supervisor.py``, what ``importctl stack scale`` runs).

Without it nothing starts workers on the local stack, so a run measures no
autoscaling response. With it, the supervisor reconciles the pool every
``ICP_OPS_ALARM_INTERVAL_S`` between the configured workers and
``ICP_OPS_LOCAL_WORKERS_MAX``, and the run's scaling measure
(``loadtests/load/scaling.py``) times the first new worker's first claim. After
the run the pool goes back to its configured size (the extra workers drain on
SIGTERM), so the next run starts as configured.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from harness.settings import HarnessSettings
from harness.stack import supervisor
from harness.stack.orchestrator import locked
from harness.stack.paths import StackPaths
from harness.stack.process import StackError


async def follow_autoscaler(settings: HarnessSettings, stop: asyncio.Event, echo: Callable[[str], None]) -> None:
    """Bring the local pool to the autoscaler's answer every alarm interval until ``stop``."""
    while not stop.is_set():
        try:
            decided = await asyncio.to_thread(supervisor.reconcile_once, settings, echo)
            if decided.start or decided.stop:
                echo(f"autoscale: {supervisor.describe(decided)}")
        except StackError as error:  # Redis away, a worker that would not start: try again next tick
            echo(f"autoscale: {error}")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=settings.ops.alarm_interval_s)


async def scale_back(settings: HarnessSettings, echo: Callable[[str], None]) -> None:
    """The pool back to the configured worker count (the highest-numbered extra workers stopped first)."""

    def back() -> supervisor.ScalePlan:
        paths = StackPaths.from_settings(settings.stack)
        workers = settings.stack.workers
        with locked(paths):
            return supervisor.reconcile(supervisor.local_pool(settings, paths, echo), workers, workers, workers)

    decided = await asyncio.to_thread(back)
    if decided.stop:
        echo(f"autoscale: back to {settings.stack.workers} workers, stopped {decided.stop}")
