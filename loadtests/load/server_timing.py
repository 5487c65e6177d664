"""The API's own request durations for a run, read from its log, beside locust's client-side figures.

The API logs one JSON line per request (``control_plane.api.request_timing``); this reads the lines of one
route and method inside the run's window. The difference from the client-side figure is time the request
spent outside the application: waiting for a CPU-starved process, in the accept backlog, on the wire.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from control_plane.logging import REQUEST_EVENT
from loadtests.load.timeline import percentile

SUBMIT_METHOD = "POST"
SUBMIT_ROUTE = "/api/v1/imports"
LOCUST_SUBMIT = "POST POST /api/v1/imports"
"""locust_figures' key for the submit request (request type, then the name the scenario gives it)."""


@dataclass(frozen=True)
class Timed:
    status: int
    duration_ms: float


def timed_requests(lines: Iterable[str], method: str, route: str, since: datetime, until: datetime) -> list[Timed]:
    """Requests of ``method`` on ``route`` logged within [since, until] (other lines are skipped)."""
    found: list[Timed] = []
    for line in lines:
        if REQUEST_EVENT not in line:
            continue
        try:
            record = json.loads(line)
            at = datetime.fromisoformat(str(record["timestamp"]))
        except (ValueError, KeyError, TypeError):
            continue
        if record.get("event") != REQUEST_EVENT or record.get("method") != method:
            continue
        if str(record.get("route", "")).rstrip("/") != route.rstrip("/") or not since <= at <= until:
            continue
        found.append(Timed(int(record.get("status", 0)), float(record.get("duration_ms", 0.0))))
    return found


def submit_timing(log_file: Path, since: datetime, until: datetime) -> list[Timed]:
    if not log_file.exists():
        return []
    with log_file.open(encoding="utf-8", errors="replace") as lines:
        return timed_requests(lines, SUBMIT_METHOD, SUBMIT_ROUTE, since, until)


def compare(server: list[Timed], locust: Mapping[str, Mapping[str, float]]) -> dict[str, object]:
    """p50/p95 of the submit as the API measured it, next to locust's (client-side) median and p95."""
    client = locust.get(LOCUST_SUBMIT, {})
    durations = [t.duration_ms for t in server]
    figures: dict[str, object] = {
        "client_p50_ms": client.get("median_ms"),
        "client_p95_ms": client.get("p95_ms"),
        "server_requests": len(server),
    }
    if not server:
        return figures | {"server_side": "not measured: no request lines of the API in the run's window"}
    return figures | {
        "server_p50_ms": percentile(durations, 50),
        "server_p95_ms": percentile(durations, 95),
        "server_by_status": dict(sorted(Counter(str(t.status) for t in server).items())),
    }
