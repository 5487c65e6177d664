"""The bench's API process answers on a port of its own and leaves no process behind once stopped."""

from __future__ import annotations

from pathlib import Path

import httpx

from harness.settings import HarnessSettings
from loadtests.bench.api_process import ApiProcess
from loadtests.bench.procstat import cpu_used, descendants, running, start_ticks, tree_cpu_seconds
from tests.support.jobs import poll

WORKERS = 2


async def test_the_api_process_serves_then_stops_with_every_worker_it_started(
    harness_settings: HarnessSettings, migrated: object, tmp_path: Path
) -> None:
    api = ApiProcess(harness_settings, tmp_path / "api.log", workers=WORKERS)
    assert api.port != harness_settings.api.port
    async with api:
        supervisor = api.pid
        workers = descendants(supervisor)
        started = {pid: start_ticks(pid) for pid in [supervisor, *workers]}
        before = tree_cpu_seconds(supervisor)
        async with httpx.AsyncClient(base_url=api.base_url) as http:

            async def served_and_counted() -> float | None:
                # CPU time is charged in clock ticks: a handful of light requests can read as 0,
                # so requests go on until the tree's reading moves (or the deadline fails the test).
                for _ in range(20):
                    assert (await http.get("/health/live")).status_code == 200
                used = cpu_used(before, tree_cpu_seconds(supervisor))
                return used if used > 0 else None

            await poll(served_and_counted, timeout_s=30, every_s=0.05, what="the API tree's CPU reading to move")
    assert len(workers) >= WORKERS  # uvicorn's supervisor runs one process per worker
    assert api.exit_code == 0
    assert not any(running(pid, ticks) for pid, ticks in started.items())
    assert "Application startup complete" in (tmp_path / "api.log").read_text()
