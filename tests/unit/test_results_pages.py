"""Dated results pages are generated from reports, name their run and never overwrite another run's page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from loadtests.results import main, render, slug, write


def load_report(run_id: str = "20261123T143426Z") -> dict[str, Any]:
    return {
        "kind": "load",
        "name": "1000 jobs, 1000 concurrent",
        "run_id": run_id,
        "started_at": "2026-11-23T14:34:26+00:00",
        "finished_at": "2026-11-23T14:52:00+00:00",
        "verdict": "fail",
        "items": [
            {"name": "slo job-latency", "value": 1.0, "target": 0.95, "verdict": "pass"},
            {"name": "in-flight peak", "value": 436, "target": 1000, "verdict": "fail"},
        ],
        "capacity": {"per_job_s": 1.41, "per_image_s": 0.08},
    }


def gameday_report() -> dict[str, Any]:
    return {
        "kind": "chaos",
        "name": "gameday",
        "run_id": "20261123T164856Z-gameday",
        "started_at": "2026-11-23T16:48:56+00:00",
        "finished_at": "2026-11-23T17:45:00+00:00",
        "verdict": "pass",
        "items": [
            {
                "name": "db-outage",
                "value": {"detect_s": 0.27, "recover_s": 2.22, "lost_jobs": 0},
                "target": {"mttr_s": 5.0},
                "verdict": "pass",
            }
        ],
    }


def test_a_load_page_names_its_run_date_and_figures() -> None:
    page = render(load_report())
    assert "Recorded on 2026-11-23 from report `20261123T143426Z`" in page
    assert "| in-flight peak | 436 | 1000 | fail |" in page
    assert "- per_job_s: 1.41" in page
    assert slug(load_report()) == "load-1000-jobs"


def test_a_gameday_page_is_named_after_the_gameday() -> None:
    assert slug(gameday_report()) == "chaos-gameday"
    page = render(gameday_report())
    assert page.startswith("# Chaos game day: PASS")
    assert "detect_s=0.27, recover_s=2.22, lost_jobs=0" in page


def test_a_chaos_load_page_shows_its_faults_and_what_was_not_judged() -> None:
    document = load_report()
    document["items"][1]["judged"] = False
    document["chaos"] = {
        "name": "default",
        "faults": [],
        "windows": [
            {
                "planned": "+110 s redis-kill for 5 s",
                "injected_at": 110.2,
                "lifted_at": 116.0,
                "evidence": "the API's /health/ready answered 503",
                "error": None,
            }
        ],
        "unprompted_exits": [],
    }
    page = render(document)
    assert slug(document) == "load-1000-jobs-chaos-default"
    assert page.startswith("# Load run 1000 jobs, 1000 concurrent under chaos plan default: FAIL")
    assert "| in-flight peak | 436 | 1000 | fail (not judged under chaos) |" in page
    assert "| +110 s redis-kill for 5 s | +110 s | +116 s | the API's /health/ready answered 503 |  |" in page
    assert "Worker exits no fault planned: 0." in page


def test_a_second_run_of_the_same_day_gets_its_own_page(tmp_path: Path) -> None:
    first = write(load_report(), tmp_path)
    second = write(load_report("20261123T134421Z"), tmp_path)
    assert first.name == "2026-11-23-load-1000-jobs.md"
    assert second.name == "2026-11-23-load-1000-jobs-20261123t134421z.md"
    assert write(load_report(), tmp_path) == first  # the same run rewrites its own page


@pytest.mark.parametrize("document", [{"kind": "bench", "started_at": "2026-11-23"}, {"kind": "load"}])
def test_a_report_it_cannot_date_or_place_is_refused(tmp_path: Path, document: dict[str, Any]) -> None:
    report = tmp_path / "report.json"
    report.write_text(json.dumps(document))
    assert main([str(report), "--out", str(tmp_path / "out")]) == 2
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
