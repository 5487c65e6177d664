"""`importctl stack scale --once` on a private state folder: it really starts and stops arq worker processes.

The workers it starts use this session's database, Redis db and queue (through the environment
the CLI runs in), so no worker of the shared stack is touched and no shared job is taken.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from redis.asyncio import Redis

from control_plane.cli.main import cli
from control_plane.domain.autoscaling import ScalingDecision
from control_plane.integrations.metrics.ops_state import AutoscalerStore
from control_plane.integrations.metrics.presence import WorkerPresence
from control_plane.settings import Settings, get_settings
from tests.support.jobs import poll

LOCAL_MAX = 2


@pytest.fixture
def runner(settings: Settings, clean: None, tmp_path: Path) -> Iterator[CliRunner]:
    """This session's database, Redis db and queue, a private state folder, a pool of 0-2 workers."""
    get_settings.cache_clear()
    env = {
        "ICP_STACK_STATE_DIR": str(tmp_path / "state"),
        "ICP_DB_NAME": settings.database.name,
        "ICP_REDIS_DATABASE": str(settings.redis.database),
        "ICP_REDIS_QUEUE_NAME": settings.redis.queue_name,
        "ICP_OPS_LOCAL_WORKERS_MIN": "0",
        "ICP_OPS_LOCAL_WORKERS_MAX": str(LOCAL_MAX),
        # the workers' own autoscaler tick would overwrite the answers this test plants
        "ICP_OPS_ALARM_INTERVAL_S": "3600",
    }
    yield CliRunner(env=env)
    get_settings.cache_clear()


async def _scale_once(runner: CliRunner) -> str:
    result = await asyncio.to_thread(runner.invoke, cli, ["stack", "scale", "--once"])
    assert result.exit_code == 0, result.output
    return str(result.output).strip().splitlines()[-1]


async def _want(redis: Redis, desired: int) -> None:
    now = time.time()
    await AutoscalerStore(redis).save(ScalingDecision(desired, desired, 0, now, now, "planted by the test"))


def _pids(state: Path) -> dict[int, int]:
    """Worker index → pid of the processes the supervisor started and that are still alive."""
    alive = {}
    for pid_file in sorted((state / "run").glob("worker-*.pid")):
        pid = int(pid_file.read_text().strip())
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue
        alive[int(pid_file.stem.removeprefix("worker-"))] = pid
    return alive


async def _live_workers(redis: Redis, settings: Settings, count: int) -> bool:
    return await WorkerPresence(redis, fresh_for_s=settings.worker.lease_ttl_s).live() == count


async def test_scale_once_reads_the_autoscaler_and_exits(runner: CliRunner) -> None:
    assert await _scale_once(runner) == "desired -, target 0: no change"


async def test_scale_starts_and_stops_real_worker_processes(
    runner: CliRunner, redis: Redis, settings: Settings, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    try:
        await _want(redis, 5)  # more than the local bound allows
        assert await _scale_once(runner) == f"desired 5, target {LOCAL_MAX}: start [1, 2]"
        started = _pids(state)
        assert sorted(started) == [1, 2]
        await poll(lambda: _live_workers(redis, settings, 2), timeout_s=60, what="two live worker stamps")

        await _want(redis, 1)
        assert await _scale_once(runner) == "desired 1, target 1: stop [2]"
        assert _pids(state) == {1: started[1]}  # worker 2 exited, worker 1 untouched
        await poll(lambda: _live_workers(redis, settings, 1), timeout_s=30, what="one live worker stamp")
        print(f"\nsupervisor: started worker pids {started}, stopped {started[2]}, kept {started[1]}")
    finally:
        await _want(redis, 0)
        await _scale_once(runner)
    assert _pids(state) == {}
