"""The job state machine: allowed moves, and everything else refused."""

from __future__ import annotations

import itertools

import pytest

from control_plane.domain.errors import InvalidTransition
from control_plane.domain.jobs import TERMINAL_STATUSES, JobStatus, can_transition, ensure_transition

ALLOWED = {
    (JobStatus.PENDING, JobStatus.QUEUED),
    (JobStatus.PENDING, JobStatus.RUNNING),
    (JobStatus.PENDING, JobStatus.CANCELLED),
    (JobStatus.QUEUED, JobStatus.RUNNING),
    (JobStatus.QUEUED, JobStatus.PENDING),
    (JobStatus.QUEUED, JobStatus.CANCELLED),
    (JobStatus.RUNNING, JobStatus.COMPLETED),
    (JobStatus.RUNNING, JobStatus.FAILED),
    (JobStatus.RUNNING, JobStatus.CANCELLED),
    (JobStatus.RUNNING, JobStatus.QUEUED),
    (JobStatus.RUNNING, JobStatus.PENDING),
    (JobStatus.FAILED, JobStatus.PENDING),
    (JobStatus.CANCELLED, JobStatus.PENDING),
}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(JobStatus, JobStatus)))
def test_every_pair_is_allowed_exactly_when_listed(current: JobStatus, target: JobStatus) -> None:
    assert can_transition(current, target) == ((current, target) in ALLOWED)
    if (current, target) in ALLOWED:
        ensure_transition(current, target)
    else:
        with pytest.raises(InvalidTransition) as info:
            ensure_transition(current, target)
        assert current.value in info.value.detail and target.value in info.value.detail


def test_completed_is_final() -> None:
    assert JobStatus.COMPLETED in TERMINAL_STATUSES
    assert not any(can_transition(JobStatus.COMPLETED, target) for target in JobStatus)
