"""The plan a load run hands to locust: the API, each vendor's key and job, and where to write outcomes.

Written by the runner before locust starts, read by the locustfile in the
locust process; outcomes come back as JSON lines, one per job.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class PlannedJob:
    index: int
    tier: str
    products: int
    shop: str
    key: str
    integration_id: str
    idempotency_key: str


@dataclass(frozen=True)
class Plan:
    api: str
    concurrency: int
    spawn_rate: float
    run_time_s: float
    poll_interval_s: float
    poll_max_s: float
    results_file: str
    jobs: list[PlannedJob]

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self)), encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> Plan:
        body = json.loads(path.read_text(encoding="utf-8"))
        body["jobs"] = [PlannedJob(**job) for job in body["jobs"]]
        return cls(**body)


@dataclass(frozen=True)
class Outcome:
    """One job as the vendor saw it: accepted (or not), and how it ended."""

    index: int
    job_id: str | None
    status: str
    products: int
    submitted_at: float
    terminal_at: float | None
    error: str | None = None

    def line(self) -> str:
        return json.dumps(asdict(self)) + "\n"


def read_outcomes(path: Path) -> list[Outcome]:
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [Outcome(**json.loads(line)) for line in lines if line.strip()]
