"""How a history window is cut into chartable buckets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from control_plane.domain.history import MAX_BUCKETS, MIN_STEP_S, bucket_starts, success_rate

UNTIL = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_buckets_end_at_until_with_the_asked_step() -> None:
    starts, step = bucket_starts(UNTIL - timedelta(hours=1), UNTIL, 600)
    assert step == 600
    assert starts == [UNTIL - timedelta(minutes=60 - 10 * i) for i in range(6)]


def test_a_long_window_widens_the_step_to_stay_under_the_bucket_cap() -> None:
    starts, step = bucket_starts(UNTIL - timedelta(days=7), UNTIL, 60)
    assert len(starts) <= MAX_BUCKETS
    assert step == 7 * 86_400 // MAX_BUCKETS
    assert starts[-1] + timedelta(seconds=step) == UNTIL
    assert starts[0] <= UNTIL - timedelta(days=7)


def test_a_tiny_or_empty_window_still_gets_one_minimum_bucket() -> None:
    starts, step = bucket_starts(UNTIL, UNTIL, None)
    assert (starts, step) == ([UNTIL - timedelta(seconds=MIN_STEP_S)], MIN_STEP_S)


def test_success_rate_is_unknown_without_finished_jobs() -> None:
    assert success_rate(0, 0) is None
    assert success_rate(3, 1) == 0.75
