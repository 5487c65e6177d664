"""Capacity model: what a job costs, from the run's own measurements, and how many workers a load needs.

Each completed job's run time (started -> finished) is fitted as
``per_job + per_product * products + per_image * images`` by least squares.
A worker of the required size runs ``slots`` jobs at once (REQ-WORKER-2: 5), so a load
of ``jobs`` concurrent imports that must finish within ``deadline_s`` needs
``ceil(jobs * job_s / (slots * deadline_s))`` workers.  The result is checked
against the autoscaling rule (REQ-SCALING-1: one worker per 10 queued jobs,
REQ-WORKER-3: 2-50 workers) and the cost target (REQ-COST-2: $0.018 per job).  Times measured on a shared
small machine include contention, so the model is an upper bound there.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class JobCost:
    """One completed job: how long it ran and what it moved."""

    seconds: float
    products: int
    images: int


@dataclass(frozen=True)
class UnitCosts:
    per_job_s: float
    per_product_s: float
    per_image_s: float
    samples: int

    def job_seconds(self, products: float, images: float) -> float:
        return self.per_job_s + self.per_product_s * products + self.per_image_s * images


@dataclass(frozen=True)
class SeedRules:
    slots_per_worker: int = 5
    jobs_per_worker: int = 10
    min_workers: int = 2
    max_workers: int = 50
    cost_per_job_usd: float = 0.018
    worker_hour_usd: float = 721 / 10 / 730


@dataclass(frozen=True)
class CapacityEstimate:
    load_jobs: int
    deadline_s: float
    mean_products: float
    mean_images: float
    job_seconds: float
    workers_needed: int
    autoscaler_workers: int
    within_seed_range: bool
    cost_per_job_usd: float
    within_seed_cost: bool

    def as_dict(self) -> dict[str, float | int | bool]:
        return dict(self.__dict__)


def _solve3(matrix: list[list[float]], vector: list[float]) -> list[float] | None:
    """Gaussian elimination with partial pivoting; None when the system is singular."""
    rows = [[*row[:], value] for row, value in zip(matrix, vector, strict=True)]
    size = len(rows)
    for col in range(size):
        pivot = max(range(col, size), key=lambda r: abs(rows[r][col]))
        if abs(rows[pivot][col]) < 1e-12:
            return None
        rows[col], rows[pivot] = rows[pivot], rows[col]
        for r in range(size):
            if r != col:
                factor = rows[r][col] / rows[col][col]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[col], strict=True)]
    return [rows[i][size] / rows[i][i] for i in range(size)]


def fit_unit_costs(jobs: Sequence[JobCost]) -> UnitCosts:
    """Least-squares per-job, per-product and per-image seconds (negative terms are dropped and refitted)."""
    if not jobs:
        return UnitCosts(0.0, 0.0, 0.0, 0)
    features = [(1.0, float(job.products), float(job.images)) for job in jobs]
    solution = _fit(features, [job.seconds for job in jobs], active=(True, True, True))
    return UnitCosts(solution[0], solution[1], solution[2], len(jobs))


def _fit(features: list[tuple[float, float, float]], targets: list[float], active: tuple[bool, ...]) -> list[float]:
    used = [i for i, on in enumerate(active) if on]
    gram = [[sum(f[i] * f[j] for f in features) for j in used] for i in used]
    moments = [sum(f[i] * t for f, t in zip(features, targets, strict=True)) for i in used]
    solved = _solve3(gram, moments) if used else []
    if solved is None:  # collinear (e.g. every job the same size): fall back to the mean per job
        solved = [sum(targets) / len(targets)] + [0.0] * (len(used) - 1)
    full = [0.0, 0.0, 0.0]
    for index, value in zip(used, solved, strict=True):
        full[index] = value
    negative = [i for i in used if full[i] < 0]
    if negative:
        return _fit(features, targets, tuple(on and i not in negative for i, on in enumerate(active)))
    return full


def estimate(
    costs: UnitCosts, rules: SeedRules, *, load_jobs: int, deadline_s: float, mean_products: float, mean_images: float
) -> CapacityEstimate:
    """Workers of REQ-WORKER-2's size needed to finish ``load_jobs`` concurrent jobs within ``deadline_s``."""
    job_s = costs.job_seconds(mean_products, mean_images)
    needed = max(1, math.ceil(load_jobs * job_s / (rules.slots_per_worker * deadline_s)))
    autoscaler = min(max(math.ceil(load_jobs / rules.jobs_per_worker), rules.min_workers), rules.max_workers)
    cost = job_s / rules.slots_per_worker / 3600 * rules.worker_hour_usd
    return CapacityEstimate(
        load_jobs=load_jobs,
        deadline_s=deadline_s,
        mean_products=mean_products,
        mean_images=mean_images,
        job_seconds=job_s,
        workers_needed=needed,
        autoscaler_workers=autoscaler,
        within_seed_range=rules.min_workers <= needed <= rules.max_workers and needed <= autoscaler,
        cost_per_job_usd=cost,
        within_seed_cost=cost <= rules.cost_per_job_usd,
    )
