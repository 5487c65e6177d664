"""The load harness's job-size and tier mix: seeded, configurable, and shaped as asked."""

from __future__ import annotations

from collections import Counter

import pytest

from control_plane.domain.principals import Tier
from loadtests.load.workload import SizeMix, plan_jobs


def test_the_same_seed_gives_the_same_jobs_and_another_seed_other_jobs() -> None:
    mix = SizeMix()
    first, again, other = plan_jobs(mix, 200, 7, "r1"), plan_jobs(mix, 200, 7, "r1"), plan_jobs(mix, 200, 8, "r1")
    assert first == again
    assert [job.products for job in first] != [job.products for job in other]


def test_default_mix_is_mostly_small_with_a_tail_of_large_imports() -> None:
    jobs = plan_jobs(SizeMix(), 5000, 7, "r")
    small = sum(1 for job in jobs if job.products <= 20)
    medium = sum(1 for job in jobs if 20 < job.products < 100)
    large = sum(1 for job in jobs if job.products >= 100)
    assert small + medium + large == 5000
    assert 0.82 < small / 5000 < 0.88
    assert 0.02 < large / 5000 < 0.04
    assert all(1 <= job.products <= 250 for job in jobs)


def test_tiers_follow_their_weights() -> None:
    counts = Counter(job.tier for job in plan_jobs(SizeMix(tier_weights=(0.0, 1.0, 3.0)), 4000, 1, "r"))
    assert counts[Tier.BASIC] == 0
    assert 0.7 < counts[Tier.ENTERPRISE] / 4000 < 0.8


def test_every_job_has_its_own_shop_and_idempotency_key() -> None:
    jobs = plan_jobs(SizeMix(), 300, 3, "20260101t000000z")
    assert len({job.shop for job in jobs}) == len({job.idempotency_key for job in jobs}) == 300
    assert jobs[12].shop == "load-20260101t000000z-00012"


def test_only_small_jobs_when_nothing_else_is_asked_for() -> None:
    mix = SizeMix(small_share=1.0, large_share=0.0, small_min=2, small_max=5)
    assert {job.products for job in plan_jobs(mix, 500, 9, "r")} == {2, 3, 4, 5}


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"small_share": 0.9, "large_share": 0.2}, "must not exceed 1"),
        ({"small_max": 120}, "sizes must satisfy"),
        ({"images_min": 4, "images_max": 3}, "images_min"),
        ({"tier_weights": (0.0, 0.0, 0.0)}, "tier_weights"),
    ],
)
def test_inconsistent_mixes_are_refused(bad: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SizeMix(**bad)  # type: ignore[arg-type]
