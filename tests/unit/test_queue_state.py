"""A waiting job is lost unless the dispatcher or arq holds it, and no dead worker's in-progress marker blocks it."""

from __future__ import annotations

import itertools

import pytest

from control_plane.domain.queueing import QueueState


@pytest.mark.parametrize(
    ("job_key", "in_queue", "in_progress", "in_dispatcher"), list(itertools.product([True, False], repeat=4))
)
def test_held_by_the_dispatcher_or_by_arq_with_a_place_in_line(
    job_key: bool, in_queue: bool, in_progress: bool, in_dispatcher: bool
) -> None:
    state = QueueState(job_key=job_key, in_queue=in_queue, in_progress=in_progress, in_dispatcher=in_dispatcher)
    assert state.lost is (in_progress or not (in_dispatcher or (job_key and in_queue)))
    assert state.as_dict() == {
        "job_key": job_key,
        "in_queue": in_queue,
        "in_progress": in_progress,
        "in_dispatcher": in_dispatcher,
    }


def test_a_left_behind_in_progress_marker_makes_a_fully_queued_job_lost() -> None:
    """The Redis-outage case: payload and place in line survive, but a marker nobody will clear blocks the job."""
    assert QueueState(job_key=True, in_queue=True, in_progress=True).lost
    assert not QueueState(job_key=True, in_queue=True, in_progress=False).lost
