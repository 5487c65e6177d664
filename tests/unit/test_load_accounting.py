"""Zero-loss accounting rules and the in-flight timeline of the load harness (pure parts)."""

from __future__ import annotations

import uuid

from control_plane.db.repositories.load_runs import ImageRow
from harness.load_accounting import (
    Accounting,
    ExpectedCatalog,
    _account_images,
    _account_jobs,
    _account_products,
)
from loadtests.load.plan import Outcome
from loadtests.load.timeline import in_flight_curve, peak, percentile, stored_in_flight_peak

SHOP = uuid.UUID(int=1)


def test_jobs_balance_only_when_every_accepted_job_is_stored_and_terminal() -> None:
    ids = [uuid.UUID(int=i) for i in range(4)]
    good = Accounting()
    _account_jobs(good, ids, {ids[0]: "COMPLETED", ids[1]: "FAILED", ids[2]: "CANCELLED", ids[3]: "COMPLETED"})
    assert good.jobs_balance and good.lost_jobs == 0
    assert (good.completed, good.failed, good.cancelled) == (2, 1, 1)

    bad = Accounting()
    _account_jobs(bad, ids, {ids[0]: "COMPLETED", ids[1]: "RUNNING", ids[2]: "COMPLETED"})
    assert not bad.jobs_balance
    assert (bad.missing_jobs, bad.unfinished, bad.lost_jobs) == (1, 1, 2)
    assert bad.examples["missing_jobs"] == [str(ids[3])]


def test_products_are_counted_missing_duplicated_and_unexpected() -> None:
    result = Accounting()
    catalogs = {SHOP: ExpectedCatalog({"1": 0, "2": 1, "3": 2})}
    _account_products(result, catalogs, {SHOP: ["1", "2", "2", "9"]})
    assert (result.products_expected, result.products_found) == (3, 2)
    assert (result.products_missing, result.products_duplicated, result.products_unexpected) == (1, 1, 1)
    assert result.lost_products == 2


def test_images_need_a_stored_row_and_both_objects_in_the_bucket() -> None:
    result = Accounting()
    catalogs = {SHOP: ExpectedCatalog({"1": 2, "2": 1})}
    rows = [
        ImageRow(SHOP, "1", "orig/a", "thumb/a", "stored"),
        ImageRow(SHOP, "1", "orig/b", "thumb/b", "stored"),
        ImageRow(SHOP, "2", None, None, "failed"),
    ]
    _account_images(result, catalogs, rows, {"orig/a", "thumb/a", "orig/b"})
    assert (result.images_expected, result.images_stored, result.images_not_stored) == (3, 2, 1)
    assert (result.objects_checked, result.objects_missing) == (4, 1)
    assert result.lost_images == 2


def test_in_flight_curve_counts_accepted_jobs_until_their_outcome() -> None:
    outcomes = [
        Outcome(0, "a", "COMPLETED", 1, submitted_at=100.0, terminal_at=110.0),
        Outcome(1, "b", "COMPLETED", 1, submitted_at=101.0, terminal_at=105.0),
        Outcome(2, "c", "FAILED", 1, submitted_at=104.0, terminal_at=120.0),
        Outcome(3, None, "NOT_ACCEPTED", 1, submitted_at=102.0, terminal_at=None),
    ]
    curve = in_flight_curve(outcomes, origin=100.0)
    assert peak(curve) == 3
    assert curve[-1] == (20.0, 0)


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 50), percentile(values, 95), percentile(values, 100)) == (50.0, 95.0, 100.0)
    assert percentile([], 95) is None


def test_stored_peak_counts_jobs_between_request_and_end() -> None:
    spans = [(0.0, 10.0), (1.0, 2.0), (3.0, None), (10.0, 12.0)]
    assert stored_in_flight_peak(spans) == 2  # jobs 0 and 1, then 0 and 2; the end at 10 precedes the start at 10
    assert stored_in_flight_peak([]) == 0
