"""Admission at submission time: the queue's health tier and the operator pauses decide.

Depth is read live from the queue (arq's sorted set: waiting and delayed
jobs).  When Redis cannot answer, PostgreSQL's PENDING + QUEUED count stands
in, and no pause is assumed (the job would stay PENDING anyway, since it
cannot be enqueued).  Every decision is counted per UTC day by queue tier and
outcome; a counting failure never fails a submission.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.db.repositories.ops_actions import OpsActionRepository
from control_plane.domain.backpressure import AdmissionPolicy, Decision, QueueTier, Thresholds, decide, tier_for
from control_plane.domain.errors import DependencyUnavailable
from control_plane.domain.pausing import Pause, blocking
from control_plane.domain.principals import Tier
from control_plane.domain.providers import Provider
from control_plane.integrations.redis_state.ops_state import RedisOpsState
from control_plane.settings import OpsSettings

log = structlog.get_logger("control_plane.admission")


def admission_policy(ops: OpsSettings) -> AdmissionPolicy:
    thresholds = Thresholds(ops.degraded_at, ops.critical_at, ops.overload_at)
    return AdmissionPolicy(thresholds, ops.degraded_basic_defer_s, ops.overload_retry_after_s)


@dataclass(frozen=True)
class QueueHealth:
    depth: int
    depth_source: str
    """``redis`` (live queue) or ``postgres`` (fallback count of PENDING and QUEUED jobs)."""
    tier: QueueTier
    pauses: list[Pause]


class AdmissionService:
    def __init__(self, session: AsyncSession, state: RedisOpsState, policy: AdmissionPolicy) -> None:
        self._ops = OpsActionRepository(session)
        self._state = state
        self.policy = policy
        self._read: QueueHealth | None = None
        self._uncounted: list[Decision] = []

    async def health(self) -> QueueHealth:
        try:
            (depth, pauses), source = await self._state.depth_and_pauses(), "redis"
        except DependencyUnavailable:
            depth, source, pauses = await self._ops.count_waiting(), "postgres", []
        return QueueHealth(depth, source, tier_for(depth, self.policy.thresholds), pauses)

    async def read_health(self) -> None:
        """Read the queue's health now, for this request's :meth:`admit`.

        The submit path calls it before its database work, so no pooled
        database connection is held while Redis answers.
        """
        self._read = await self.health()

    async def admit(self, client: Tier, company_id: uuid.UUID, provider: Provider) -> Decision:
        """Decide for one submission (on the health read beforehand, if any); :meth:`count_decisions` counts it."""
        health, self._read = self._read or await self.health(), None
        pause = blocking(health.pauses, company_id, provider)
        decision = decide(health.tier, client, self.policy, paused=pause.describe() if pause else None)
        self._uncounted.append(decision)
        return decision

    async def count_decisions(self) -> None:
        """Count the decisions made so far, once; the edge calls it after its transaction ended.

        The counter lives in Redis, and no transaction waits on Redis.
        """
        decisions, self._uncounted = self._uncounted, []
        for decision in decisions:
            try:
                await self._state.count_admission(f"{decision.queue_tier.value}:{decision.outcome.value}")
            except DependencyUnavailable as exc:
                log.warning("admission.count_failed", error=exc.detail)

    async def counts(self, day: date | None = None) -> dict[str, int]:
        """Decisions of one UTC day by ``<queue tier>:<outcome>`` (for /metrics and the ops API)."""
        return await self._state.admission_counts(day)
