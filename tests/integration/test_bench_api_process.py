"""The bench's API process answers on a port of its own and leaves no process behind once stopped."""

from __future__ import annotations

from pathlib import Path

import httpx

from harness.settings import HarnessSettings
from loadtests.bench.api_process import ApiProcess
from loadtests.bench.procstat import cpu_used, descendants, running, start_ticks, tree_cpu_seconds

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
            for _ in range(20):
                assert (await http.get("/health/live")).status_code == 200
        assert cpu_used(before, tree_cpu_seconds(supervisor)) > 0
    assert len(workers) >= WORKERS  # uvicorn's supervisor runs one process per worker
    assert api.exit_code == 0
    assert not any(running(pid, ticks) for pid, ticks in started.items())
    assert "Application startup complete" in (tmp_path / "api.log").read_text()
