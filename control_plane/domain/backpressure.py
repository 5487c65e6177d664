"""Queue health tiers and the admission policy each tier implies.

The tier is a pure function of the live queue depth (jobs waiting or delayed
in arq's sorted set), so the API, the ops view and the metrics all agree on
it.  Rejections come before a pause: a paused queue still refuses work it
could not hold, while admitted work under a pause waits in PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from control_plane.domain.principals import Tier


class QueueTier(StrEnum):
    HEALTHY = "Healthy"
    DEGRADED = "Degraded"
    CRITICAL = "Critical"
    OVERLOAD = "Overload"


class Outcome(StrEnum):
    ADMITTED = "admitted"
    """Stored and enqueued now."""
    DEFERRED = "deferred"
    """Stored and enqueued to start after a delay."""
    HELD = "held"
    """Stored but not enqueued: its queue, provider or company is paused."""
    REJECTED = "rejected"
    """Not stored: 503 with Retry-After."""


@dataclass(frozen=True)
class Thresholds:
    """Depths at which the tier changes: Degraded from, Critical from, Overload above."""

    degraded_at: int
    critical_at: int
    overload_at: int

    def __post_init__(self) -> None:
        if not 0 < self.degraded_at <= self.critical_at <= self.overload_at:
            raise ValueError(f"thresholds must rise: {self.degraded_at}, {self.critical_at}, {self.overload_at}")


@dataclass(frozen=True)
class AdmissionPolicy:
    thresholds: Thresholds
    basic_defer_s: int
    retry_after_s: int


@dataclass(frozen=True)
class Decision:
    """What happens to one submission, with the reason a client or operator reads."""

    queue_tier: QueueTier
    outcome: Outcome
    reason: str
    defer_s: int = 0
    retry_after_s: int | None = None

    @property
    def stored(self) -> bool:
        return self.outcome is not Outcome.REJECTED

    def as_dict(self) -> dict[str, object]:
        return {
            "queue_tier": self.queue_tier.value,
            "outcome": self.outcome.value,
            "reason": self.reason,
            "defer_s": self.defer_s,
        }


def tier_for(depth: int, thresholds: Thresholds) -> QueueTier:
    """Healthy below ``degraded_at``; Degraded below ``critical_at``; Critical up to ``overload_at``."""
    if depth < thresholds.degraded_at:
        return QueueTier.HEALTHY
    if depth < thresholds.critical_at:
        return QueueTier.DEGRADED
    if depth <= thresholds.overload_at:
        return QueueTier.CRITICAL
    return QueueTier.OVERLOAD


def decide(queue_tier: QueueTier, client: Tier, policy: AdmissionPolicy, *, paused: str | None = None) -> Decision:
    """The admission decision for a client of tier ``client``; ``paused`` names a pause that applies."""
    if queue_tier is QueueTier.OVERLOAD:
        reason = "the import queue is in tier Overload; no new imports are accepted, retry later"
        return Decision(queue_tier, Outcome.REJECTED, reason, retry_after_s=policy.retry_after_s)
    if queue_tier is QueueTier.CRITICAL and client is not Tier.ENTERPRISE:
        reason = f"the import queue is in tier Critical; only ENTERPRISE imports are accepted (yours: {client.value})"
        return Decision(queue_tier, Outcome.REJECTED, reason, retry_after_s=policy.retry_after_s)
    if paused is not None:
        reason = f"{paused}; the job is stored and waits PENDING until it is resumed"
        return Decision(queue_tier, Outcome.HELD, reason)
    if queue_tier is QueueTier.DEGRADED and client is Tier.BASIC and policy.basic_defer_s > 0:
        reason = f"the import queue is in tier Degraded; BASIC imports start after {policy.basic_defer_s} s"
        return Decision(queue_tier, Outcome.DEFERRED, reason, defer_s=policy.basic_defer_s)
    return Decision(queue_tier, Outcome.ADMITTED, f"the import queue is in tier {queue_tier.value}")


def admission_table(queue_tier: QueueTier, policy: AdmissionPolicy) -> dict[str, Decision]:
    """What each client tier gets right now (ignoring pauses), for the ops view."""
    return {tier.value: decide(queue_tier, tier, policy) for tier in Tier}
