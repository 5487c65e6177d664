"""The worker figure's verdict: under the memory goal, for the import it says it measured."""

from __future__ import annotations

from control_plane.domain.jobs import JobStatus
from loadtests.bench.bench_worker import GOAL_MIB, worker_verdict


def test_worker_verdict_needs_a_completed_import_with_its_images_under_the_goal() -> None:
    assert worker_verdict(JobStatus.COMPLETED, GOAL_MIB - 1, images_per_product=1, images_stored=10_000)
    assert not worker_verdict(JobStatus.COMPLETED, GOAL_MIB, images_per_product=1, images_stored=10_000)
    assert not worker_verdict(JobStatus.FAILED, 100.0, images_per_product=1, images_stored=10_000)
    # a shop with images whose import stored none did not measure what the figure says
    assert not worker_verdict(JobStatus.COMPLETED, 100.0, images_per_product=1, images_stored=0)
    assert worker_verdict(JobStatus.COMPLETED, 100.0, images_per_product=0, images_stored=0)
