"""A job is lost unless the dispatcher holds it or arq holds both its payload and its place in line."""

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
    assert state.lost is not (in_dispatcher or (job_key and in_queue))
    assert state.as_dict() == {
        "job_key": job_key,
        "in_queue": in_queue,
        "in_progress": in_progress,
        "in_dispatcher": in_dispatcher,
    }
