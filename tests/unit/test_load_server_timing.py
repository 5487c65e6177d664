"""Server-side submit durations read from the API log for the run's window, beside locust's figures."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from loadtests.load.server_timing import LOCUST_SUBMIT, compare, submit_timing, timed_requests

SINCE = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
UNTIL = datetime(2026, 1, 1, 12, 10, tzinfo=UTC)


def line(
    minute: int, duration_ms: float, *, method: str = "POST", route: str = "/api/v1/imports", status: int = 202
) -> str:
    record = {
        "method": method,
        "route": route,
        "status": status,
        "duration_ms": duration_ms,
        "event": "http.request",
        "level": "info",
        "logger": "control_plane.api.requests",
        "timestamp": f"2026-01-01T12:{minute:02d}:00.000000Z",
    }
    return json.dumps(record)


def test_only_the_routes_requests_inside_the_window_are_read() -> None:
    lines = [
        line(1, 10.0),
        line(2, 30.0, route="/api/v1/imports/", status=429),
        line(3, 99.0, method="GET", route="/api/v1/imports/{job_id}"),
        line(11, 500.0),  # after the window
        "INFO:     127.0.0.1:5000 - uvicorn plain text line",
        '{"event": "http.request", "timestamp": "not a time"}',
    ]
    found = timed_requests(lines, "POST", "/api/v1/imports", SINCE, UNTIL)
    assert [(t.status, t.duration_ms) for t in found] == [(202, 10.0), (429, 30.0)]


def test_server_and_client_percentiles_side_by_side(tmp_path: Path) -> None:
    log = tmp_path / "api.log"
    log.write_text("\n".join(line(1, float(ms)) for ms in range(1, 101)) + "\n")

    figures = compare(submit_timing(log, SINCE, UNTIL), {LOCUST_SUBMIT: {"median_ms": 120.0, "p95_ms": 900.0}})

    assert figures["server_p50_ms"] == 50.0 and figures["server_p95_ms"] == 95.0
    assert (figures["client_p50_ms"], figures["client_p95_ms"]) == (120.0, 900.0)
    assert figures["server_by_status"] == {"202": 100}


def test_no_log_lines_are_reported_as_not_measured(tmp_path: Path) -> None:
    figures = compare(submit_timing(tmp_path / "missing.log", SINCE, UNTIL), {})
    assert figures["server_requests"] == 0 and "not measured" in str(figures["server_side"])
