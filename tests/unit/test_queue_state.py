"""A job is lost to the queue unless arq holds both its payload and its place in line."""

from __future__ import annotations

import itertools

import pytest

from control_plane.domain.queueing import QueueState


@pytest.mark.parametrize(("job_key", "in_queue", "in_progress"), list(itertools.product([True, False], repeat=3)))
def test_only_a_payload_with_a_place_in_line_counts_as_held(job_key: bool, in_queue: bool, in_progress: bool) -> None:
    state = QueueState(job_key=job_key, in_queue=in_queue, in_progress=in_progress)
    assert state.lost is not (job_key and in_queue)
    assert state.as_dict() == {"job_key": job_key, "in_queue": in_queue, "in_progress": in_progress}
