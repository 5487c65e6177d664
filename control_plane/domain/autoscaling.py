"""How many workers the fleet should have: out at once, in only after a quiet cooldown.

Scaling out late costs latency for every waiting vendor; scaling in early
costs a flap, so the two directions are deliberately asymmetric.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class ScalingPolicy:
    jobs_per_worker: int
    minimum: int
    maximum: int
    scale_in_cooldown_s: float

    def __post_init__(self) -> None:
        if self.jobs_per_worker < 1:
            raise ValueError(f"jobs_per_worker must be >= 1, not {self.jobs_per_worker}")
        if not 0 <= self.minimum <= self.maximum:
            raise ValueError(f"need 0 <= minimum <= maximum, not {self.minimum}..{self.maximum}")


@dataclass(frozen=True)
class ScalingDecision:
    desired: int
    """Workers the fleet should run now."""
    target: int
    """What the backlog alone asks for (may differ from ``desired`` while a scale-in cools down)."""
    backlog: int
    changed_at: float
    """Unix seconds of the last change of ``desired``."""
    decided_at: float
    reason: str


def target_workers(backlog: int, policy: ScalingPolicy) -> int:
    """ceil(backlog / jobs_per_worker), clamped to [minimum, maximum]."""
    wanted = math.ceil(max(backlog, 0) / policy.jobs_per_worker)
    return min(policy.maximum, max(policy.minimum, wanted))


def decide(backlog: int, policy: ScalingPolicy, last: ScalingDecision | None, now: float) -> ScalingDecision:
    """The next decision given the previous one; ``now`` is injected so the cooldown is testable."""
    target = target_workers(backlog, policy)
    if last is None:
        return ScalingDecision(target, target, backlog, now, now, "initial")
    if target > last.desired:
        return ScalingDecision(target, target, backlog, now, now, "scale out")
    if target < last.desired:
        quiet_s = now - last.changed_at
        if quiet_s >= policy.scale_in_cooldown_s:
            return ScalingDecision(target, target, backlog, now, now, "scale in")
        reason = f"scale in held: {quiet_s:.0f}s of {policy.scale_in_cooldown_s:g}s cooldown"
        return ScalingDecision(last.desired, target, backlog, last.changed_at, now, reason)
    return ScalingDecision(last.desired, target, backlog, last.changed_at, now, "steady")
