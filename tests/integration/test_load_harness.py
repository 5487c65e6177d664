"""Smoke run of the load harness: 100 jobs through a real API process and real workers, judged and accounted.

The full 1,000-job run is `make load`; this proves the harness end to end on
the session's own database, Redis db and queue (the shared bucket is not
emptied: accounting checks the objects this run's images point to).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from control_plane.settings import ApiSettings, ReportSettings, Settings
from harness.settings import LoadSettings, harness_settings_of
from loadtests.load.efficiency import CPU_ITEM, UTILISATION_ITEM
from loadtests.load.runner import new_run_id, run_load
from tests.integration.conftest import StartWorkers
from tests.support.served import Served, serve_api

EFFICIENCY = {UTILISATION_ITEM, CPU_ITEM}
"""Judged in every run, but goals of the product's efficiency, not of the harness working end to end."""
CHARTS = {"in_flight.png", "queue_tier.png", "latency.png", "throughput.png", "success_rate.png"}
SMOKE = LoadSettings(
    jobs=100,
    concurrency=25,
    spawn_rate=25,
    run_time_s=150,
    drain_timeout_s=60,
    poll_interval_s=1,
    sample_interval_s=1,
    seed=11,
    small_min=1,
    small_max=4,
    medium_max=8,
    large_share=0.05,
    large_min=9,
    large_max=12,
    images_max=2,
    image_px=64,
)


@pytest.fixture
def api(settings: Settings, clean: None) -> Iterator[Served]:
    served = serve_api(settings).wait_ready()
    yield served
    served.stop()


async def test_smoke_run_writes_a_passing_report_with_zero_loss(
    settings: Settings, api: Served, start_workers: StartWorkers, tmp_path: Path
) -> None:
    start_workers(2)
    run_settings = harness_settings_of(
        replace(settings, api=ApiSettings(port=api.port), reports=ReportSettings(dir=tmp_path / "reports"))
    )
    run_id = f"{new_run_id()}-{os.getpid()}".lower()

    result = await run_load(run_settings, SMOKE, run_id=run_id, empty_bucket=False, echo=lambda _line: None)

    folder = tmp_path / "reports" / "load" / run_id
    assert result.folder == folder
    for name in ("report.json", "summary.md", "locust_stats.csv", "locust.html", *CHARTS):
        assert (folder / name).stat().st_size > 0, name
    report = json.loads((folder / "report.json").read_text())
    assert report["kind"] == "load" and report["run_id"] == run_id
    assert set(report["charts"]) == CHARTS
    assert all(set(item) >= {"name", "value", "target", "verdict"} for item in report["items"])
    accounting = report["accounting"]
    assert accounting["submitted"] == SMOKE.jobs and accounting["jobs_balance"] is True, accounting
    assert (accounting["lost_jobs"], accounting["lost_products"], accounting["lost_images"]) == (0, 0, 0), accounting
    assert accounting["products_expected"] == accounting["products_found"] > 0
    assert accounting["images_expected"] == accounting["images_stored"] > 0
    judged = {item["name"] for item in report["items"]}
    assert {"SLO job-latency", "SLO import-success"} <= judged
    assert UTILISATION_ITEM in judged and report["utilisation"]["backlog_window_s"] > 0
    # efficiency goals are the full run's to judge; the smoke run's API and workers have no stack pid files
    assert any(CPU_ITEM in why for why in report["not_judged"]), report["not_judged"]
    failing = [item for item in report["items"] if item["verdict"] != "pass" and item["name"] not in EFFICIENCY]
    assert not failing, failing
    stats = (folder / "locust_stats.csv").read_text()
    assert "JOB,submit-to-terminal" in stats
