"""Judge a finished run: SLO verdicts for its window, zero-loss accounting, in-flight peak, figures, capacity."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from control_plane.db.repositories.load_runs import JobRow
from control_plane.services.slo import SloVerifier, load_slos
from control_plane.services.slo_document import as_document
from harness.load_accounting import Accounting
from harness.settings import LoadSettings
from loadtests.load.capacity import JobCost, SeedRules, estimate, fit_unit_costs
from loadtests.load.plan import Outcome
from loadtests.load.report import Report
from loadtests.load.timeline import in_flight_curve, latencies, peak, percentile, stored_in_flight_peak

SLO_DEADLINE_S = 300.0
CLOCK_SLACK = timedelta(seconds=1)


async def judge(
    report: Report,
    sessions: async_sessionmaker[AsyncSession],
    load: LoadSettings,
    since: datetime,
    until: datetime,
    outcomes: Sequence[Outcome],
    accounting: Accounting,
    jobs: Sequence[JobRow],
    origin: float,
) -> None:
    await _judge_slos(report, sessions, since, until + CLOCK_SLACK)
    report.item("lost jobs (accepted, not terminal or missing)", accounting.lost_jobs, 0, accounting.lost_jobs == 0)
    balance = f"{accounting.submitted} = {accounting.completed} + {accounting.failed} + {accounting.cancelled}"
    report.item("submitted = completed + failed + cancelled", balance, "holds", accounting.jobs_balance)
    report.item("lost products (missing or duplicated)", accounting.lost_products, 0, accounting.lost_products == 0)
    report.item("lost images (not stored or object missing)", accounting.lost_images, 0, accounting.lost_images == 0)
    accepted = sum(1 for o in outcomes if o.job_id is not None)
    report.item("jobs accepted by the API", accepted, load.jobs, accepted == load.jobs)
    wanted = min(load.concurrency, load.jobs)
    spans = [(j.requested_at.timestamp(), j.finished_at.timestamp() if j.finished_at else None) for j in jobs]
    top = stored_in_flight_peak(spans)
    report.item("peak concurrent in-flight jobs (requested -> ended, job store)", top, f">= {wanted}", top >= wanted)
    report.extra["accounting"] = accounting.as_dict()
    report.extra["figures"] = figures(outcomes, jobs)
    report.extra["figures"]["vendor_outstanding_peak"] = peak(in_flight_curve(outcomes, origin))
    report.extra["capacity"] = capacity(jobs, load)


async def _judge_slos(
    report: Report, sessions: async_sessionmaker[AsyncSession], since: datetime, until: datetime
) -> None:
    async with sessions() as session:
        document = as_document(await SloVerifier(session).verify(load_slos(), since=since, until=until))
    not_judged = []
    for slo in document["slos"]:
        if slo["verdict"] not in ("pass", "breach"):
            not_judged.append(slo["name"])
            continue
        report.item(
            f"SLO {slo['name']}", slo["value"], slo["objective"], slo["verdict"] == "pass", samples=slo["samples"]
        )
    report.extra["slo"] = document
    report.extra["slo_not_judged"] = not_judged


def _seconds(values: Sequence[float]) -> dict[str, float | None]:
    return {f"p{q}": _round(percentile(values, q)) for q in (50, 95, 99)} | {"max": _round(max(values, default=None))}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def figures(outcomes: Sequence[Outcome], jobs: Sequence[JobRow]) -> dict[str, Any]:
    """Where the time goes: vendor-seen latency, queue wait (requested -> started) and run time (started -> end)."""
    ended = [j for j in jobs if j.finished_at is not None]
    waits = [(j.started_at - j.requested_at).total_seconds() for j in ended if j.started_at is not None]
    runs = [(j.finished_at - j.started_at).total_seconds() for j in ended if j.started_at and j.finished_at]
    first = min((j.requested_at for j in jobs), default=None)
    last = max((j.finished_at for j in ended if j.finished_at), default=None)
    span = (last - first).total_seconds() if first and last else 0.0
    completed = [j for j in jobs if j.status == "COMPLETED"]
    return {
        "latency_small_jobs_s": _seconds(latencies(outcomes, small_only=True)),
        "latency_all_jobs_s": _seconds(latencies(outcomes, small_only=False)),
        "queue_wait_s": _seconds(waits),
        "run_time_s": _seconds(runs),
        "first_request_to_last_outcome_s": round(span, 1),
        "jobs_per_minute": round(len(ended) / span * 60, 2) if span else None,
        "products_per_s": round(sum(j.products for j in completed) / span, 2) if span else None,
        "images_per_s": round(sum(j.images for j in completed) / span, 2) if span else None,
        "success_rate": round(len(completed) / len(ended), 4) if ended else None,
        "attempts_over_1": sum(1 for j in jobs if j.attempts > 1),
    }


def locust_figures(stats_csv: Path) -> dict[str, dict[str, float]]:
    """Per locust request name: requests, failures, median and p95 in ms (the HTTP side of where time goes)."""
    if not stats_csv.exists():
        return {}
    with stats_csv.open(encoding="utf-8", newline="") as source:
        rows = list(csv.DictReader(source))
    return {
        f"{row['Type']} {row['Name']}".strip(): {
            "requests": float(row["Request Count"]),
            "failures": float(row["Failure Count"]),
            "median_ms": float(row["Median Response Time"] or 0),
            "p95_ms": float(row["95%"] or 0) if row.get("95%") not in (None, "N/A") else 0.0,
        }
        for row in rows
    }


def capacity(jobs: Sequence[JobRow], load: LoadSettings) -> dict[str, Any]:
    measured = [
        JobCost((j.finished_at - j.started_at).total_seconds(), j.products, j.images)
        for j in jobs
        if j.status == "COMPLETED" and j.started_at and j.finished_at
    ]
    costs = fit_unit_costs(measured)
    rules = SeedRules(worker_hour_usd=load.worker_hour_usd)
    mean_products = sum(c.products for c in measured) / len(measured) if measured else 0.0
    mean_images = sum(c.images for c in measured) / len(measured) if measured else 0.0
    target = estimate(
        costs,
        rules,
        load_jobs=max(load.concurrency, 1000),
        deadline_s=SLO_DEADLINE_S,
        mean_products=mean_products,
        mean_images=mean_images,
    )
    return {
        "per_job_s": round(costs.per_job_s, 3),
        "per_product_s": round(costs.per_product_s, 4),
        "per_image_s": round(costs.per_image_s, 4),
        "fitted_on_jobs": costs.samples,
        **{k: round(v, 6) if isinstance(v, float) else v for k, v in target.as_dict().items()},
        "seed_rules": "2-50 workers, 10 queued jobs per worker, 5 jobs per 2 vCPU / 4 GB worker, $0.018/job",
        "caveat": "run times measured on this machine under contention (every process shares its cores)",
    }
