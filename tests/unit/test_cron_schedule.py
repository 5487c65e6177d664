"""Reconciliation intervals become arq cron fields, or fail loudly when cron cannot express them."""

from __future__ import annotations

from datetime import datetime

import pytest
from arq.cron import next_cron

from control_plane.settings import WorkerSettings
from workers.reconciliation_tasks import cron_schedule, reconciliation_cron_jobs


@pytest.mark.parametrize(
    ("interval_s", "expected"),
    [
        (1, {"second": set(range(60))}),
        (5, {"second": {0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55}}),
        (15, {"second": {0, 15, 30, 45}}),
        (30, {"second": {0, 30}}),
        (60, {"minute": set(range(60)), "second": 0}),
        (300, {"minute": {0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55}, "second": 0}),
        (1200, {"minute": {0, 20, 40}, "second": 0}),
        (3600, {"minute": {0}, "second": 0}),
    ],
)
def test_intervals_that_tile_a_minute_or_an_hour_map_to_cron_fields(
    interval_s: int, expected: dict[str, object]
) -> None:
    assert cron_schedule(interval_s) == expected


@pytest.mark.parametrize(("interval_s", "expected_gap_s"), [(5, 5), (20, 20), (300, 300), (3600, 3600)])
def test_consecutive_runs_are_one_interval_apart(interval_s: int, expected_gap_s: int) -> None:
    first = next_cron(datetime(2026, 1, 1, 12, 0, 1), **cron_schedule(interval_s), microsecond=0)
    second = next_cron(first, **cron_schedule(interval_s), microsecond=0)
    assert (second - first).total_seconds() == expected_gap_s


@pytest.mark.parametrize(
    ("interval_s", "message"),
    [
        (0, "at least 1 second"),
        (-5, "at least 1 second"),
        (7, "must divide 60"),
        (45, "must divide 60"),
        (90, "whole minutes dividing an hour"),
        (420, "whole minutes dividing an hour"),
        (7200, "whole minutes dividing an hour"),
    ],
)
def test_intervals_cron_cannot_express_are_refused_with_a_reason(interval_s: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        cron_schedule(interval_s)


def test_both_passes_are_registered_unique_and_the_sweep_runs_at_startup() -> None:
    jobs = {job.name: job for job in reconciliation_cron_jobs(WorkerSettings(reconcile_interval_s=300))}
    reconcile, sweep = jobs["cron:reconcile"], jobs["cron:sweep_leases"]
    assert reconcile.unique and sweep.unique
    assert sweep.run_at_startup and not reconcile.run_at_startup
    assert reconcile.minute == set(range(0, 60, 5)) and reconcile.second == 0
    assert sweep.second == set(range(0, 60, 5)) and sweep.minute is None


def test_a_bad_interval_in_the_settings_fails_when_the_jobs_are_built() -> None:
    with pytest.raises(ValueError, match="must divide 60"):
        reconciliation_cron_jobs(WorkerSettings(lease_sweep_interval_s=7))


def test_the_storage_sweep_is_registered_unique_on_its_own_interval() -> None:
    jobs = {job.name: job for job in reconciliation_cron_jobs(WorkerSettings(storage_sweep_interval_s=600))}
    sweep = jobs["cron:sweep_storage"]
    assert sweep.unique and not sweep.run_at_startup
    assert sweep.minute == {0, 10, 20, 30, 40, 50} and sweep.second == 0


def test_storage_sweep_defaults_are_five_minutes_and_an_hour_of_grace() -> None:
    defaults = WorkerSettings()
    assert (defaults.storage_sweep_interval_s, defaults.storage_garbage_grace_s) == (300, 3600.0)
