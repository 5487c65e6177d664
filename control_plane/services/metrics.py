"""Gathers one :class:`OpsFigures` snapshot from PostgreSQL (jobs) and Redis (queue, workers, breakers, calls).

Shared by the API's /metrics and the workers' alarm evaluation, so a scrape
and an alarm always judge the same numbers.
"""

from __future__ import annotations

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.db.repositories.ops_metrics import OpsRepository, window_start
from control_plane.domain.alarms import AlarmThresholds, evaluate
from control_plane.domain.errors import DependencyUnavailable
from control_plane.domain.jobs import JobStatus
from control_plane.domain.ops import RECENT_WINDOW_S, OpsFigures
from control_plane.integrations.metrics.ops_state import AlarmStore, AutoscalerStore
from control_plane.integrations.metrics.presence import WorkerPresence
from control_plane.integrations.metrics.prometheus import Exposition
from control_plane.integrations.metrics.provider_calls import ProviderCallCounters
from control_plane.integrations.metrics.redis_figures import breaker_states, queue_counts
from control_plane.integrations.redis_state._scripts import REDIS_ERRORS
from control_plane.integrations.redis_state.circuit_breaker import RedisCircuitBreaker
from control_plane.settings import OpsSettings, Settings


def thresholds(ops: OpsSettings) -> AlarmThresholds:
    return AlarmThresholds(
        overload_at=ops.overload_at,
        success_rate_floor=ops.success_rate_floor,
        min_workers=ops.min_workers,
        provider_error_ceiling=ops.provider_error_ceiling,
    )


def presence(redis: Redis, settings: Settings) -> WorkerPresence:
    """A worker is live while its stamp is younger than a job lease: the same patience as for its jobs."""
    return WorkerPresence(redis, fresh_for_s=settings.worker.lease_ttl_s)


class MetricsService:
    def __init__(self, session: AsyncSession, redis: Redis, settings: Settings) -> None:
        self._ops = OpsRepository(session)
        self._redis = redis
        self._settings = settings
        self._breaker = RedisCircuitBreaker.from_settings(redis, settings.breaker)

    async def figures(self) -> OpsFigures:
        """Database figures on the database clock, then Redis ones; Redis away is a DependencyUnavailable."""
        now = await self._ops.now()
        since = window_start(now, RECENT_WINDOW_S)
        statuses = await self._ops.status_counts()
        oldest = await self._ops.oldest_waiting_since()
        try:
            waiting, delayed = await queue_counts(self._redis, self._settings.redis.queue_name)
            live = await presence(self._redis, self._settings).live(now.timestamp())
            breakers = await breaker_states(self._redis, self._breaker)
            provider = await ProviderCallCounters(self._redis).read(now.timestamp())
        except REDIS_ERRORS as exc:
            raise DependencyUnavailable("redis", f"metrics unavailable: {exc}") from exc
        return OpsFigures(
            waiting=waiting,
            delayed=delayed,
            active=statuses.get(JobStatus.RUNNING, 0),
            dead=statuses.get(JobStatus.FAILED, 0),
            oldest_waiting_age_s=max(0.0, (now - oldest).total_seconds()) if oldest else None,
            recent=await self._ops.job_counts(since),
            totals=await self._ops.job_counts(None),
            durations=await self._ops.durations(since),
            live_workers=live,
            breakers=breakers,
            reconcile_actions=await self._ops.reconcile_actions(),
            provider=provider,
        )

    async def exposition(self) -> Exposition:
        """The figures plus the alarm and autoscaler state the workers last stored."""
        figures = await self.figures()
        try:
            firing = await AlarmStore(self._redis).firing()
            decision = await AutoscalerStore(self._redis).last()
        except REDIS_ERRORS as exc:
            raise DependencyUnavailable("redis", f"metrics unavailable: {exc}") from exc
        severities = {c.name: c.severity.value for c in evaluate(figures, thresholds(self._settings.ops))}
        return Exposition(
            figures=figures,
            severities=severities,
            active_alarms=frozenset(firing),
            desired_workers=decision.desired if decision is not None else None,
        )
