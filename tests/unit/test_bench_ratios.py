"""The bench's arithmetic: CPU ratios, throughput ratios, verdicts, percentiles, shares, process-tree CPU."""

from __future__ import annotations

import pytest

from loadtests.bench.procstat import cpu_used, parent_pid
from loadtests.bench.ratios import at_least, at_most, cpu_ratio, per_unit, percentile, rate_ratio, spread


def test_cpu_ratio_compares_cost_per_unit_not_totals() -> None:
    # 3 s for 1,000 products against 1 s for 500: 3 ms against 2 ms a product.
    assert cpu_ratio(3.0, 1_000, 1.0, 500) == pytest.approx(1.5)


def test_cpu_ratio_has_nothing_to_say_without_work_on_either_side() -> None:
    assert cpu_ratio(3.0, 0, 1.0, 500) is None
    assert cpu_ratio(3.0, 1_000, 1.0, 0) is None
    assert cpu_ratio(3.0, 1_000, 0.0, 500) is None


def test_per_unit_of_nothing_is_unknown_not_zero() -> None:
    assert per_unit(2.0, 4) == 0.5
    assert per_unit(2.0, 0) is None


def test_rate_ratio_is_measured_over_baseline() -> None:
    assert rate_ratio(50.0, 200.0) == pytest.approx(0.25)
    assert rate_ratio(50.0, 0.0) is None


def test_ceiling_goal_fails_above_it_and_passes_at_it() -> None:
    assert at_most(2.01, 2.0) is False
    assert at_most(2.0, 2.0) is True
    assert at_most(None, 2.0) is None


def test_floor_goal_fails_below_it_and_passes_at_it() -> None:
    assert at_least(0.49, 0.5) is False
    assert at_least(0.5, 0.5) is True
    assert at_least(None, 0.5) is None


def test_nearest_rank_percentiles() -> None:
    values = [float(v) for v in range(100, 0, -1)]  # 1..100, unordered
    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 0.95) == 95.0
    assert percentile(values, 1.0) == 100.0
    assert percentile([7.0], 0.95) == 7.0
    assert percentile([], 0.5) is None


def test_percentile_refuses_a_share_outside_zero_to_one() -> None:
    with pytest.raises(ValueError, match="share"):
        percentile([1.0], 95)


def test_spread_gives_every_submission_to_exactly_one_client() -> None:
    shares = spread(2_003, 200)
    assert sum(shares) == 2_003
    assert max(shares) - min(shares) == 1
    assert spread(3, 5) == [1, 1, 1, 0, 0]


def test_parent_pid_survives_a_command_name_with_spaces_and_parentheses() -> None:
    stat = "4242 (python -m (odd) name) S 4100 4242 4100 0 -1 4194560 " + "0 " * 40
    assert parent_pid(stat) == 4100


def test_tree_cpu_counts_a_process_born_between_readings_from_zero() -> None:
    before = {1: 10.0, 2: 5.0}
    after = {1: 12.0, 2: 5.5, 3: 0.25}
    assert cpu_used(before, after) == pytest.approx(2.75)
