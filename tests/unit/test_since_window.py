"""A ``since`` window start: a duration or an ISO 8601 time; one reaching back past year 1 is a 422, not a 500."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from control_plane.domain.errors import InvalidRequest
from control_plane.services.ops_read import parse_since

UNTIL = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("since", "start"),
    [("24h", UNTIL - timedelta(hours=24)), ("2026-11-30T00:00:00", datetime(2026, 11, 30, tzinfo=UTC))],
)
def test_a_duration_or_a_time_starts_the_window(since: str, start: datetime) -> None:
    assert parse_since(since, UNTIL) == start


@pytest.mark.parametrize("since", ["46972956649363m", "999999999999w", "1000000d"])
def test_a_duration_past_the_calendar_is_an_invalid_request(since: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        parse_since(since, UNTIL)
    assert refused.value.field_errors()[0][0] == "since"
