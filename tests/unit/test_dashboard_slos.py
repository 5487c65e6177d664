"""The dashboard's SLO table says what measured each SLO (no I/O)."""

from __future__ import annotations

from dashboard.views.slos import measured_by


def test_drill_slos_name_the_runs_behind_their_verdict() -> None:
    assert measured_by({"source": "job_store", "details": {}}) == "job store"
    drill = {"source": "drill", "details": {"sources": ["chaos:redis-outage", "load"]}}
    assert measured_by(drill) == "chaos:redis-outage, load"
    assert measured_by({"source": "drill", "details": {}}) == "no drill or load run in the window"
