"""One evaluation tick: judge the alarms, remember and announce changes, decide the fleet size, log EMF.

Run by one worker per tick (an arq cron job); each step's state lives in
Redis so any worker can take the next tick.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import structlog
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.domain.alarms import AlarmChange, AlarmCheck, changes, evaluate
from control_plane.domain.autoscaling import ScalingDecision, ScalingPolicy, decide
from control_plane.domain.ops import OpsFigures
from control_plane.integrations.metrics.emf import emf_line, write_emf
from control_plane.integrations.metrics.ops_state import AlarmStore, AutoscalerStore
from control_plane.integrations.metrics.webhook import notify
from control_plane.services.metrics import MetricsService, thresholds
from control_plane.settings import OpsSettings, Settings

log = structlog.get_logger("control_plane.alarms")


@dataclass(frozen=True)
class Evaluation:
    figures: OpsFigures
    checks: list[AlarmCheck]
    changes: list[AlarmChange]
    decision: ScalingDecision
    notified: int
    emf: str | None


def scaling_policy(ops: OpsSettings) -> ScalingPolicy:
    return ScalingPolicy(
        jobs_per_worker=ops.jobs_per_worker,
        minimum=ops.autoscale_min,
        maximum=max(ops.autoscale_max, ops.autoscale_min),
        scale_in_cooldown_s=ops.scale_in_cooldown_s,
    )


class OpsEvaluator:
    def __init__(self, session: AsyncSession, redis: Redis, settings: Settings, *, service: str = "workers") -> None:
        self._metrics = MetricsService(session, redis, settings)
        self._alarms = AlarmStore(redis)
        self._autoscaler = AutoscalerStore(redis)
        self._ops = settings.ops
        self._service = service

    async def run(self, now: float | None = None) -> Evaluation:
        at = now if now is not None else time.time()
        figures = await self._metrics.figures()
        checks = evaluate(figures, thresholds(self._ops))
        changed = changes(await self._alarms.firing(), checks)
        await self._alarms.record(changed, at)
        for change in changed:
            log.warning("alarm." + change.status, alarm=change.check.name, summary=change.check.summary)
        notified = await notify(self._ops.alarm_webhook_url, changed) if self._ops.alarm_webhook_url and changed else 0
        decision = decide(figures.backlog, scaling_policy(self._ops), await self._autoscaler.last(), at)
        await self._autoscaler.save(decision)
        line = None
        if self._ops.emf_enabled:
            line = emf_line(
                figures, desired_workers=decision.desired, timestamp_ms=int(at * 1000), service=self._service
            )
            write_emf(line)
        return Evaluation(figures, checks, changed, decision, notified, line)
