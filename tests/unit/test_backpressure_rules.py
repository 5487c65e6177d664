"""Queue health tiers, admission per client tier, and which pause holds a job."""

from __future__ import annotations

import uuid

import pytest

from control_plane.domain.backpressure import AdmissionPolicy, Outcome, QueueTier, Thresholds, decide, tier_for
from control_plane.domain.errors import InvalidRequest
from control_plane.domain.pausing import Pause, PauseScope, PauseTarget, blocking
from control_plane.domain.principals import Tier
from control_plane.domain.providers import Provider

SEED = Thresholds(1_000, 5_000, 10_000)
POLICY = AdmissionPolicy(SEED, basic_defer_s=300, retry_after_s=30)


@pytest.mark.parametrize(
    ("depth", "tier"),
    [
        (0, QueueTier.HEALTHY),
        (999, QueueTier.HEALTHY),
        (1_000, QueueTier.DEGRADED),
        (4_999, QueueTier.DEGRADED),
        (5_000, QueueTier.CRITICAL),
        (10_000, QueueTier.CRITICAL),
        (10_001, QueueTier.OVERLOAD),
    ],
)
def test_seed_tiers(depth: int, tier: QueueTier) -> None:
    assert tier_for(depth, SEED) is tier


def test_thresholds_must_rise() -> None:
    with pytest.raises(ValueError, match="must rise"):
        Thresholds(10, 5, 20)


@pytest.mark.parametrize(
    ("queue", "client", "outcome"),
    [
        (QueueTier.HEALTHY, Tier.BASIC, Outcome.ADMITTED),
        (QueueTier.DEGRADED, Tier.BASIC, Outcome.DEFERRED),
        (QueueTier.DEGRADED, Tier.PRO, Outcome.ADMITTED),
        (QueueTier.CRITICAL, Tier.PRO, Outcome.REJECTED),
        (QueueTier.CRITICAL, Tier.ENTERPRISE, Outcome.ADMITTED),
        (QueueTier.OVERLOAD, Tier.ENTERPRISE, Outcome.REJECTED),
    ],
)
def test_admission_by_tier(queue: QueueTier, client: Tier, outcome: Outcome) -> None:
    decision = decide(queue, client, POLICY)
    assert decision.outcome is outcome
    assert decision.defer_s == (300 if outcome is Outcome.DEFERRED else 0)
    assert (decision.retry_after_s == 30) is (outcome is Outcome.REJECTED)
    assert queue.value in decision.reason


def test_a_pause_holds_admitted_work_but_never_overrides_a_rejection() -> None:
    assert decide(QueueTier.DEGRADED, Tier.BASIC, POLICY, paused="queue is paused").outcome is Outcome.HELD
    assert decide(QueueTier.OVERLOAD, Tier.BASIC, POLICY, paused="queue is paused").outcome is Outcome.REJECTED


def test_pause_targets_parse_and_match() -> None:
    company = uuid.uuid4()
    assert PauseTarget.parse("provider", "shopify").key == "provider:shopify"
    assert PauseTarget.from_key(f"company:{company}") == PauseTarget(PauseScope.COMPANY, str(company))
    for scope, target in (("provider", "ebay"), ("company", "nope"), ("company", None), ("galaxy", None)):
        with pytest.raises(InvalidRequest):
            PauseTarget.parse(scope, target)
    paused = [Pause(PauseTarget.parse("company", str(company)), "why", "op", "t")]
    assert blocking(paused, company, Provider.SHOPIFY) is paused[0]
    assert blocking(paused, uuid.uuid4(), Provider.SHOPIFY) is None
