"""Which waiting job runs next: weighted priority between client tiers, round-robin between companies.

arq keeps one time-ordered queue, so a company that submits 1,000 jobs would
make every other company wait behind all of them.  The dispatcher keeps one
line per company instead and asks this policy which line gives up its head
job each time a worker slot frees up:

* **Tiers** share slots by smooth weighted round-robin (ENTERPRISE 6, PRO 3,
  BASIC 1 by default).  Among tiers with waiting work each pick adds every
  tier's weight to its credit, the richest tier wins (ties go to the higher
  tier) and pays the sum of the competing weights.  ENTERPRISE is therefore
  served first and most, yet BASIC gets at least ``weight / total`` of the
  picks (10 %) however busy the others are: it never starves.  An idle tier's
  credit resets, so idling saves no credit for a later burst.
* **Companies** within a tier take turns: each line carries the round-robin
  clock value of its last turn, the oldest turn goes next, and a company that
  joins (or rejoins) gets ``clock - 0.5``, i.e. the next turn after those not
  served since.  A newcomer's single job thus waits for at most one pick per
  other waiting company of its tier, never behind another company's backlog.

:class:`FairQueue` is the in-memory reference model of the same rules; the
Redis dispatcher keeps them in Lua so each move is atomic.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from control_plane.domain.principals import Tier

TIER_ORDER: tuple[Tier, ...] = (Tier.ENTERPRISE, Tier.PRO, Tier.BASIC)
"""Highest first: the order ties between tiers are broken in."""

DEFAULT_WEIGHTS: Mapping[Tier, int] = {Tier.ENTERPRISE: 6, Tier.PRO: 3, Tier.BASIC: 1}

JOIN_OFFSET = 0.5
"""A joining company is scored ``clock - JOIN_OFFSET``: ahead of every company served since, behind older turns."""


@dataclass(frozen=True)
class TierWeights:
    """Relative shares of worker slots while tiers compete; each tier's floor is ``weight / total``."""

    weights: Mapping[Tier, int] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))

    def __post_init__(self) -> None:
        missing = [tier.value for tier in TIER_ORDER if self.weights.get(tier, 0) < 1]
        if missing:
            raise ValueError(f"every tier needs a weight of at least 1 (missing or zero: {', '.join(missing)})")
        ranked = [self.weights[tier] for tier in TIER_ORDER]
        if ranked != sorted(ranked, reverse=True):
            raise ValueError("weights must not rank a lower tier above a higher one")

    def minimum_share(self, tier: Tier) -> float:
        """The share of picks ``tier`` is guaranteed while every tier has work waiting."""
        return self.weights[tier] / sum(self.weights[t] for t in TIER_ORDER)


@dataclass(frozen=True)
class TierPick:
    tier: Tier
    credits: dict[Tier, int]
    """Every tier's credit after this pick (idle tiers at 0), to store for the next one."""


def pick_tier(credits: Mapping[Tier, int], waiting: Sequence[Tier], weights: TierWeights) -> TierPick | None:
    """Smooth weighted round-robin over the tiers that have work waiting; None when none has."""
    competing = [tier for tier in TIER_ORDER if tier in waiting]
    if not competing:
        return None
    after = {tier: credits.get(tier, 0) + weights.weights[tier] if tier in competing else 0 for tier in TIER_ORDER}
    chosen = max(competing, key=lambda tier: (after[tier], -TIER_ORDER.index(tier)))
    after[chosen] -= sum(weights.weights[tier] for tier in competing)
    return TierPick(chosen, after)


@dataclass(frozen=True)
class Pick:
    tier: Tier
    company: str
    credits: dict[Tier, int]


def pick_next(credits: Mapping[Tier, int], lines: Mapping[Tier, Sequence[str]], weights: TierWeights) -> Pick | None:
    """The tier by weight, then that tier's company whose turn is oldest.

    ``lines`` lists, per tier, the companies with a job ready and not paused, oldest turn first.
    """
    tier_pick = pick_tier(credits, [tier for tier, companies in lines.items() if companies], weights)
    if tier_pick is None:
        return None
    return Pick(tier_pick.tier, lines[tier_pick.tier][0], tier_pick.credits)


class FairQueue:
    """In-memory model of the dispatcher: per-company FIFO lines, turn scores, tier credits."""

    def __init__(self, weights: TierWeights | None = None) -> None:
        self.weights = weights or TierWeights()
        self._lines: dict[str, deque[str]] = {}
        self._tier_of: dict[str, Tier] = {}
        self._turns: dict[Tier, dict[str, float]] = {tier: {} for tier in TIER_ORDER}
        self._clocks: dict[Tier, int] = dict.fromkeys(TIER_ORDER, 0)
        self._credits: dict[Tier, int] = dict.fromkeys(TIER_ORDER, 0)

    def push(self, job: str, company: str, tier: Tier) -> None:
        self._lines.setdefault(company, deque()).append(job)
        self._tier_of[company] = tier
        self._turns[tier].setdefault(company, self._clocks[tier] - JOIN_OFFSET)

    def __len__(self) -> int:
        return sum(len(line) for line in self._lines.values())

    def lines(self) -> dict[Tier, list[str]]:
        return {tier: sorted(turns, key=lambda c: (turns[c], c)) for tier, turns in self._turns.items()}

    def pop(self) -> tuple[str, str, Tier] | None:
        """The next job to hand to a worker slot: (job, company, tier)."""
        pick = pick_next(self._credits, self.lines(), self.weights)
        if pick is None:
            return None
        self._credits = pick.credits
        line = self._lines[pick.company]
        job = line.popleft()
        self._clocks[pick.tier] += 1
        if line:
            self._turns[pick.tier][pick.company] = self._clocks[pick.tier]
        else:
            del self._turns[pick.tier][pick.company]
        return job, pick.company, pick.tier
