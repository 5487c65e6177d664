"""The fair-share policy in numbers: tier shares, BASIC's floor, and no company waiting behind another's burst."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from control_plane.domain.fair_share import FairQueue, TierWeights, pick_tier
from control_plane.domain.principals import Tier

SLOTS = 5
"""Worker slots in the simulations: one worker running 5 jobs at once (REQ-WORKER-2)."""


def _fill(queue: FairQueue, company: str, tier: Tier, count: int) -> None:
    for i in range(count):
        queue.push(f"{company}-{i}", company, tier)


def _pops_until(queue: FairQueue, job: str) -> int:
    """How many other jobs the queue hands out before ``job``."""
    before = 0
    while (popped := queue.pop()) is not None:
        if popped[0] == job:
            return before
        before += 1
    raise AssertionError(f"{job} never came out")


def test_a_single_job_waits_for_no_more_than_one_slot_turnover_behind_a_burst_of_1000() -> None:
    queue = FairQueue()
    _fill(queue, "a", Tier.PRO, 1000)
    started = [queue.pop() for _ in range(SLOTS)]  # the burst fills every slot
    queue.push("b-0", "b", Tier.PRO)
    waited = _pops_until(queue, "b-0")
    print(f"\nburst of 1000 (company a), {SLOTS} slots busy: company b's job handed out after {waited} other job(s)")
    assert all(item is not None and item[1] == "a" for item in started)
    assert waited <= SLOTS
    assert waited == 0  # the next free slot is b's


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_a_newcomer_waits_at_most_one_turn_per_other_waiting_company_of_its_tier(seed: int) -> None:
    rng = random.Random(seed)
    queue = FairQueue()
    companies = [f"c{i}" for i in range(rng.randint(2, 8))]
    for company in companies:
        _fill(queue, company, Tier.PRO, rng.randint(50, 1000))
    for _ in range(rng.randint(0, 500)):  # some running time passes
        queue.pop()
    waiting_companies = sum(1 for line in queue.lines()[Tier.PRO])
    queue.push("newcomer-0", "newcomer", Tier.PRO)
    waited = _pops_until(queue, "newcomer-0")
    assert waited <= waiting_companies


def test_tier_shares_over_a_long_run_match_the_weights_within_one_percent() -> None:
    queue = FairQueue()
    for tier, companies in ((Tier.ENTERPRISE, 2), (Tier.PRO, 3), (Tier.BASIC, 4)):
        for c in range(companies):
            _fill(queue, f"{tier.value}-{c}", tier, 20_000)
    picks = 10_000
    served = Counter(item[2] for item in (queue.pop() for _ in range(picks)) if item is not None)
    shares = {tier.value: round(served[tier] / picks, 4) for tier in Tier}
    print(f"\nshares over {picks} picks with every tier backlogged: {shares}")
    for tier in Tier:
        assert abs(served[tier] / picks - queue.weights.minimum_share(tier)) <= 0.01


def test_basic_gets_its_minimum_share_in_every_window_while_higher_tiers_are_flooded() -> None:
    weights = TierWeights()
    queue = FairQueue(weights)
    _fill(queue, "ent", Tier.ENTERPRISE, 5_000)
    _fill(queue, "pro", Tier.PRO, 5_000)
    _fill(queue, "basic", Tier.BASIC, 500)
    window = round(1 / weights.minimum_share(Tier.BASIC))  # 10 picks
    tiers = [item[2] for item in (queue.pop() for _ in range(200 * window)) if item is not None]
    per_window = [tiers[i : i + window].count(Tier.BASIC) for i in range(0, len(tiers), window)]
    print(f"\nBASIC picks per window of {window}: min {min(per_window)}, max {max(per_window)}")
    assert min(per_window) >= 1


def test_enterprise_is_served_before_pro_before_basic() -> None:
    queue = FairQueue()
    queue.push("b", "basic", Tier.BASIC)
    queue.push("p", "pro", Tier.PRO)
    queue.push("e", "ent", Tier.ENTERPRISE)
    order = [item[0] for item in (queue.pop(), queue.pop(), queue.pop()) if item is not None]
    assert order == ["e", "p", "b"]


def test_an_idle_tier_saves_no_credit_for_later() -> None:
    weights = TierWeights()
    credits = {Tier.ENTERPRISE: 0, Tier.PRO: 0, Tier.BASIC: 0}
    for _ in range(50):  # BASIC idle while ENTERPRISE works
        pick = pick_tier(credits, [Tier.ENTERPRISE], weights)
        assert pick is not None
        credits = pick.credits
    assert credits[Tier.BASIC] == 0
    first = pick_tier(credits, [Tier.ENTERPRISE, Tier.BASIC], weights)
    assert first is not None and first.tier is Tier.ENTERPRISE


def test_a_company_alone_in_its_tier_is_served_in_arrival_order() -> None:
    queue = FairQueue()
    _fill(queue, "a", Tier.BASIC, 20)
    assert [item[0] for item in (queue.pop() for _ in range(20)) if item is not None] == [f"a-{i}" for i in range(20)]
    assert queue.pop() is None and len(queue) == 0


@pytest.mark.parametrize(
    "weights",
    [
        {Tier.ENTERPRISE: 6, Tier.PRO: 3},
        {Tier.ENTERPRISE: 6, Tier.PRO: 3, Tier.BASIC: 0},
        {Tier.ENTERPRISE: 1, Tier.PRO: 3, Tier.BASIC: 1},
    ],
)
def test_weights_must_cover_every_tier_and_keep_their_order(weights: dict[Tier, int]) -> None:
    with pytest.raises(ValueError, match="weight"):
        TierWeights(weights)
