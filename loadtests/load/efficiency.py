"""Judged efficiency items of a run: slot utilisation while a backlog waited, CPU-seconds per job."""

from __future__ import annotations

import math

from loadtests.load.cpu import PRODUCT_CLASSES, CpuUsage
from loadtests.load.report import Report
from loadtests.load.utilisation import Utilisation

UTILISATION_ITEM = "slot utilisation while a backlog waited"
UTILISATION_TARGET = 0.9
CPU_ITEM = "product CPU-seconds per job (API, workers, PostgreSQL, Redis, S3)"
CPU_TARGET_S = 0.25


def judge_utilisation(report: Report, result: Utilisation) -> None:
    """Busy slot-seconds / (slots x backlog window); not judged when no job ever waited."""
    report.extra["utilisation"] = result.as_dict()
    value = result.value
    if value is None:
        _not_judged(report, f"{UTILISATION_ITEM}: no job waited during the run")
        return
    shown = math.floor(value * 1000) / 1000  # rounded towards failing, so 0.89997 never reads as a failing 0.9
    report.item(UTILISATION_ITEM, shown, f">= {UTILISATION_TARGET}", value >= UTILISATION_TARGET)


def judge_cpu(report: Report, usage: CpuUsage, jobs: int) -> None:
    """Per class totals and per job; the product's own processes judged against the per-job goal."""
    report.extra["cpu"] = usage.as_dict(jobs)
    missing = [name.value for name in PRODUCT_CLASSES if name not in usage.seconds]
    if missing or jobs <= 0:
        why = f"not measured: {', '.join(missing)}" if missing else "no jobs"
        _not_judged(report, f"{CPU_ITEM}: {why}")
        return
    per_job = usage.product_seconds() / jobs
    shown = math.ceil(per_job * 1000) / 1000  # rounded towards failing, as the utilisation is
    report.item(CPU_ITEM, shown, f"<= {CPU_TARGET_S}", per_job <= CPU_TARGET_S)


def _not_judged(report: Report, why: str) -> None:
    listed = report.extra.setdefault("not_judged", [])
    listed.append(why)
