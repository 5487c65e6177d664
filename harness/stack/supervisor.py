"""Local worker-pool supervisor: keep as many worker processes running as the autoscaler asks for.

What production's orchestrator would do with ``icp_autoscaler_desired_workers``,
done here with the stack's own worker start/stop, so scaling can be exercised
on one machine.  The desired count is clamped to the local limits; scale-in
stops the highest-numbered workers with SIGTERM, so each drains gracefully.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType

from control_plane.integrations.metrics.ops_state import current_desired_workers
from control_plane.integrations.queue import create_redis
from control_plane.integrations.redis_state._scripts import REDIS_ERRORS
from harness.settings import HarnessSettings
from harness.stack import apps
from harness.stack.orchestrator import locked
from harness.stack.paths import StackPaths
from harness.stack.process import Reporter, StackError
from harness.stack.service import ensure_running, running_pid, stop


@dataclass(frozen=True)
class ScalePlan:
    desired: int | None
    """The autoscaler's answer; None before its first evaluation (the pool is then only clamped)."""
    target: int
    start: list[int]
    stop: list[int]


def plan(desired: int | None, running: list[int], minimum: int, maximum: int) -> ScalePlan:
    """Which worker indices to start (lowest free first) and stop (highest first) to reach the clamped target."""
    wanted = len(running) if desired is None else desired
    target = min(max(wanted, minimum), max(maximum, minimum))
    current = sorted(running)
    if target >= len(current):
        free = (i for i in range(1, target + len(current) + 1) if i not in current)
        return ScalePlan(desired, target, [next(free) for _ in range(target - len(current))], [])
    return ScalePlan(desired, target, [], current[target:][::-1])


@dataclass(frozen=True)
class Pool:
    """The worker processes, as functions, so the decision and its application can be tested apart."""

    running: Callable[[], list[int]]
    start: Callable[[int], None]
    stop: Callable[[int], None]


def reconcile(pool: Pool, desired: int | None, minimum: int, maximum: int) -> ScalePlan:
    decided = plan(desired, pool.running(), minimum, maximum)
    for index in decided.stop:
        pool.stop(index)
    for index in decided.start:
        pool.start(index)
    return decided


def local_pool(settings: HarnessSettings, paths: StackPaths, report: Reporter) -> Pool:
    """The stack's worker processes (``worker-N``), started and stopped like ``stack up``/``down`` do."""

    def running() -> list[int]:
        indices = apps.worker_indices(settings, paths)
        return [i for i in indices if running_pid(paths, apps.worker_service(settings, paths, i)) is not None]

    def start(index: int) -> None:
        ensure_running(paths, apps.worker_service(settings, paths, index), settings.stack.start_timeout_s, report)

    def halt(index: int) -> None:
        stop(paths, apps.worker_service(settings, paths, index), report)

    return Pool(running, start, halt)


async def _desired(settings: HarnessSettings) -> int | None:
    client = create_redis(settings.redis)
    try:
        return await current_desired_workers(client)
    except REDIS_ERRORS as exc:
        raise StackError(f"cannot read the autoscaler's answer from Redis: {exc}") from exc
    finally:
        await client.aclose()


def reconcile_once(settings: HarnessSettings, report: Reporter) -> ScalePlan:
    """Read the autoscaler's answer and bring the local pool to it, under the stack's lock."""
    paths = StackPaths.from_settings(settings.stack)
    desired = asyncio.run(_desired(settings))
    ops = settings.ops
    with locked(paths):
        return reconcile(local_pool(settings, paths, report), desired, ops.local_workers_min, ops.local_workers_max)


def supervise(settings: HarnessSettings, report: Reporter) -> None:
    """Reconcile every ``alarm_interval_s`` until SIGINT or SIGTERM; workers are left running on exit."""
    stopping = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        report(f"supervisor: {signal.Signals(signum).name}, stopping")
        stopping.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stopping.is_set():
            try:
                report(describe(reconcile_once(settings, report)))
            except StackError as error:  # Redis away, a worker that would not start: try again next tick
                report(f"supervisor: {error}")
            stopping.wait(settings.ops.alarm_interval_s)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def describe(decided: ScalePlan) -> str:
    change = f"start {decided.start}" if decided.start else f"stop {decided.stop}" if decided.stop else "no change"
    return f"desired {decided.desired if decided.desired is not None else '-'}, target {decided.target}: {change}"
