"""A load run under chaos (``importctl load run --chaos PLAN``) on the test stack, end to end.

100 jobs through a real API process and two real workers while the plan kills a
worker, cuts PostgreSQL off the product (toxiproxy) and makes half the shops answer
503: nothing accepted is lost, each fault is injected, seen by the system and lifted,
the charts mark them, and the verdict judges what chaos must not change. Redis is not
killed here: the session shares the stack's Redis server with everything else.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from control_plane.settings import ApiSettings, ReportSettings, Settings
from harness.settings import harness_settings_of
from loadtests.load.chaos_plan import parse_plan
from loadtests.load.runner import new_run_id, run_load
from tests.integration.test_load_harness import SMOKE
from tests.support.drill_workers import DrillWorkers
from tests.support.served import Served, serve_api


class _NoRedisKills:
    """The plan here never kills Redis; a kill would be a test mistake, so it fails loudly."""

    def crash(self) -> None:
        raise AssertionError("this test's plan must not kill the shared Redis server")

    def restart(self) -> None:
        raise AssertionError("this test's plan must not kill the shared Redis server")


@pytest.fixture
def api(settings: Settings, clean: None) -> Iterator[Served]:
    served = serve_api(settings).wait_ready()
    yield served
    served.stop()


@pytest.fixture
def workers(settings: Settings, clean: None) -> Iterator[DrillWorkers]:
    pool = DrillWorkers(settings)
    pool.start(2)
    yield pool
    pool.stop_all()


def _plan(worker: str) -> str:
    return f"""
[[fault]]
at = 4
kind = "worker-kill"
worker = "{worker}"
for = 2

[[fault]]
at = 12
kind = "database-outage"
for = 4

[[fault]]
at = 22
kind = "provider-storm"
share = 0.5
for = 4
"""


async def test_a_load_run_under_chaos_loses_nothing_and_shows_each_fault(
    settings: Settings, api: Served, workers: DrillWorkers, tmp_path: Path
) -> None:
    victim = sorted(workers.live())[0]
    plan = parse_plan(_plan(victim), name="test")
    run_settings = harness_settings_of(
        replace(settings, api=ApiSettings(port=api.port), reports=ReportSettings(dir=tmp_path / "reports"))
    )
    run_id = f"{new_run_id()}-{os.getpid()}".lower()
    processes = (workers, _NoRedisKills())

    result = await run_load(
        run_settings, SMOKE, run_id=run_id, empty_bucket=False, chaos=plan, chaos_processes=processes, echo=print
    )

    report = json.loads((result.folder / "report.json").read_text())
    windows = report["chaos"]["windows"]
    assert [w["kind"] for w in windows] == ["worker-kill", "database-outage", "provider-storm"]
    for window in windows:
        assert window["error"] is None and window["injected_at"] < window["lifted_at"], window
        assert window["evidence"], window
    assert "worker process gone" in windows[0]["evidence"]
    assert "/health/ready answered 503" in windows[1]["evidence"]
    assert "answers 503 served" in windows[2]["evidence"]
    accounting = report["accounting"]
    assert (accounting["lost_jobs"], accounting["lost_products"], accounting["lost_images"]) == (0, 0, 0), accounting
    assert accounting["submitted"] == SMOKE.jobs and accounting["jobs_balance"] is True, accounting
    judged = [item for item in report["items"] if item.get("judged", True)]
    assert {item["name"] for item in judged} >= {
        "lost jobs (accepted, not terminal or missing)",
        "chaos faults injected, seen by the system and lifted as planned",
    }
    failing = [item for item in judged if item["verdict"] != "pass"]
    assert not failing, failing
    assert report["verdict"] == "pass"
    assert "## Chaos plan test" in (result.folder / "summary.md").read_text()
