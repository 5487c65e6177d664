"""Capacity model of the load harness: unit costs fitted from job timings, workers and cost per job."""

from __future__ import annotations

import random

import pytest

from loadtests.load.capacity import JobCost, SeedRules, UnitCosts, estimate, fit_unit_costs


def test_fit_recovers_known_unit_costs_from_seeded_noisy_timings() -> None:
    rng = random.Random(5)
    jobs = []
    for _ in range(400):
        products, images = rng.randint(1, 100), rng.randint(0, 300)
        seconds = 2.0 + 0.05 * products + 0.1 * images + rng.uniform(-0.2, 0.2)
        jobs.append(JobCost(seconds, products, images))
    costs = fit_unit_costs(jobs)
    assert costs.per_job_s == pytest.approx(2.0, abs=0.1)
    assert costs.per_product_s == pytest.approx(0.05, abs=0.005)
    assert costs.per_image_s == pytest.approx(0.1, abs=0.005)
    assert costs.samples == 400


def test_a_negative_term_is_dropped_and_the_rest_refitted() -> None:
    jobs = [JobCost(10.0 - 0.01 * p, p, 0) for p in range(1, 50)] + [JobCost(10.0, 5, 5)]
    costs = fit_unit_costs(jobs)
    assert costs.per_product_s == 0.0
    assert costs.per_job_s > 0


def test_identical_jobs_fall_back_to_the_mean_per_job() -> None:
    costs = fit_unit_costs([JobCost(4.0, 10, 10), JobCost(6.0, 10, 10)])
    assert costs.job_seconds(10, 10) == pytest.approx(5.0)
    assert fit_unit_costs([]).samples == 0


def test_workers_needed_follow_the_load_and_the_deadline() -> None:
    costs = UnitCosts(per_job_s=3.0, per_product_s=0.1, per_image_s=0.2, samples=10)
    result = estimate(costs, SeedRules(), load_jobs=1000, deadline_s=300, mean_products=20, mean_images=30)
    assert result.job_seconds == pytest.approx(11.0)
    assert result.workers_needed == 8  # ceil(1000 * 11 / (5 * 300))
    assert result.autoscaler_workers == 50  # ceil(1000 / 10), clamped to 50
    assert result.within_seed_range is True
    assert result.cost_per_job_usd == pytest.approx(11.0 / 5 / 3600 * 721 / 10 / 730)
    assert result.within_seed_cost is True


def test_a_load_beyond_fifty_workers_is_outside_the_seed_range() -> None:
    costs = UnitCosts(per_job_s=60.0, per_product_s=0.0, per_image_s=0.0, samples=1)
    result = estimate(costs, SeedRules(), load_jobs=5000, deadline_s=300, mean_products=0, mean_images=0)
    assert result.workers_needed == 200
    assert result.within_seed_range is False


def test_an_expensive_job_breaks_the_cost_target() -> None:
    costs = UnitCosts(per_job_s=5000.0, per_product_s=0.0, per_image_s=0.0, samples=1)
    result = estimate(costs, SeedRules(), load_jobs=10, deadline_s=300, mean_products=0, mean_images=0)
    assert result.cost_per_job_usd > 0.018
    assert result.within_seed_cost is False
