"""The verdict of a load run under chaos: zero loss, the latency SLO within its error budget, every fault carried out.

Faults distort what a quiet run judges on purpose (the in-flight peak, slot
utilisation, CPU per job, the other SLOs' windows), so those items stay in the
report with their figures but are marked not judged. What must hold whatever
breaks: nothing accepted is lost or duplicated, every vendor's job is accepted in
the end, the latency SLO keeps within its error budget, and the run really
injected and lifted every planned fault, and the system showed each one (a worker
gone, readiness answering 503, shops' 503s served): a fault that never reached the
system would make a pass meaningless. And no worker may die of a fault it was not
the target of (a Redis restart must not take the workers with it): the run's
restart policy brings such a worker back, as the orchestrator would, and the
verdict counts each such exit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from loadtests.load.chaos_plan import FaultWindow
from loadtests.load.report import Report

JUDGED_UNDER_CHAOS = (
    "lost jobs",
    "submitted = completed + failed + cancelled",
    "lost products",
    "lost images",
    "jobs accepted by the API",
    "SLO job-latency",
    "SLO zero-data-loss",
)
"""Names (their start) of the items a chaos run is judged on; the rest are reported only."""
LATENCY_SLO = "job-latency"


def judge_under_chaos(report: Report, windows: Sequence[FaultWindow], plan: dict[str, Any]) -> None:
    """Judge ``report`` as a chaos run whose faults went as ``windows`` say; ``plan`` is what the report shows."""
    for item in report.items:
        if not item["name"].startswith(JUDGED_UNDER_CHAOS):
            item["judged"] = False
    budget = _error_budget_left(report)
    for item in report.items:
        if item["name"] == f"SLO {LATENCY_SLO}":
            item["error_budget_left"] = budget
    problems = {window.planned: window.problem for window in windows if window.problem is not None}
    done = [window for window in windows if window.problem is None]
    report.item(
        "chaos faults injected, seen by the system and lifted as planned",
        f"{len(done)} of {len(windows)}",
        f"{len(windows)} of {len(windows)}",
        bool(windows) and len(done) == len(windows),
        problems=problems,
    )
    exits = plan.get("unprompted_exits", [])
    report.item("worker exits no fault planned (restarted by the restart policy)", len(exits), 0, not exits)
    report.extra["chaos"] = plan


def _error_budget_left(report: Report) -> Any:
    slos = report.extra.get("slo", {}).get("slos", [])
    return next((slo.get("error_budget_left") for slo in slos if slo.get("name") == LATENCY_SLO), None)
