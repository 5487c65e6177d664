"""When a long-poll is over, and the bounds of its wait."""

from __future__ import annotations

import pytest

from control_plane.domain.errors import InvalidRequest
from control_plane.domain.job_wait import MAX_JOB_WAIT_S, JobWait
from control_plane.domain.jobs import TERMINAL_STATUSES, JobStatus


@pytest.mark.parametrize("status", list(JobStatus))
def test_without_a_status_the_wait_is_over_once_the_job_is_terminal(status: JobStatus) -> None:
    assert JobWait(10).is_over(status) is (status in TERMINAL_STATUSES)


@pytest.mark.parametrize("leave", list(JobStatus))
@pytest.mark.parametrize("status", list(JobStatus))
def test_with_a_status_the_wait_is_over_once_the_job_left_it(leave: JobStatus, status: JobStatus) -> None:
    assert JobWait(10, leave=leave).is_over(status) is (status != leave)


@pytest.mark.parametrize("seconds", [0, 1, MAX_JOB_WAIT_S])
def test_waits_within_bounds_are_accepted(seconds: int) -> None:
    assert JobWait(seconds).seconds == seconds


@pytest.mark.parametrize("seconds", [-1, MAX_JOB_WAIT_S + 1])
def test_waits_outside_bounds_are_refused_naming_the_field(seconds: int) -> None:
    with pytest.raises(InvalidRequest) as refused:
        JobWait(seconds)
    assert refused.value.field_errors() == [("wait", f"wait must be between 0 and {MAX_JOB_WAIT_S} seconds")]
