"""One evaluation tick: judge the alarms, remember and announce changes, decide the fleet size, log EMF.

Run by one worker per tick (an arq cron job); each step's state lives in
Redis so any worker can take the next tick.  A collapsed success rate pauses
the queue once per firing episode (the caller commits the audit row); only an
operator resumes it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import structlog
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.domain.alarms import LOW_SUCCESS_RATE, AlarmChange, AlarmCheck, changes, collapsed, evaluate
from control_plane.domain.autoscaling import ScalingDecision, ScalingPolicy, decide
from control_plane.domain.ops import OpsFigures
from control_plane.domain.pausing import PauseScope
from control_plane.integrations.metrics.emf import emf_line, write_emf
from control_plane.integrations.metrics.ops_state import AlarmStore, AutoscalerStore
from control_plane.integrations.metrics.webhook import notify
from control_plane.integrations.redis_state.ops_state import RedisOpsState
from control_plane.services.metrics import MetricsService, thresholds
from control_plane.services.ops_controls import auto_pause
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
    auto_paused: bool = False
    """Whether this tick paused the queue because the success rate collapsed."""


def scaling_policy(ops: OpsSettings) -> ScalingPolicy:
    return ScalingPolicy(
        jobs_per_worker=ops.jobs_per_worker,
        minimum=ops.autoscale_min,
        maximum=max(ops.autoscale_max, ops.autoscale_min),
        scale_in_cooldown_s=ops.scale_in_cooldown_s,
    )


class OpsEvaluator:
    def __init__(self, session: AsyncSession, redis: Redis, settings: Settings, *, service: str = "workers") -> None:
        self._session = session
        self._metrics = MetricsService(session, redis, settings)
        self._state = RedisOpsState(redis, settings.redis.queue_name)
        self._alarms = AlarmStore(redis)
        self._autoscaler = AutoscalerStore(redis)
        self._ops = settings.ops
        self._service = service

    async def run(self, now: float | None = None) -> Evaluation:
        at = now if now is not None else time.time()
        figures = await self._metrics.figures()
        checks = evaluate(figures, thresholds(self._ops))
        changed = changes(await self._alarms.firing(), checks)
        changed, paused = await self._emergency(figures, checks, changed, at)
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
        return Evaluation(figures, checks, changed, decision, notified, line, paused)

    async def _emergency(
        self, figures: OpsFigures, checks: list[AlarmCheck], changed: list[AlarmChange], at: float
    ) -> tuple[list[AlarmChange], bool]:
        """Pause the queue once per low-success-rate episode that collapsed; say so in that alarm's notice."""
        check = next(c for c in checks if c.name == LOW_SUCCESS_RATE)
        if not check.firing:
            await self._alarms.clear_auto_paused(LOW_SUCCESS_RATE)
            return changed, False
        if not collapsed(figures) or await self._alarms.auto_paused(LOW_SUCCESS_RATE):
            return changed, False
        if any(pause.target.scope is PauseScope.QUEUE for pause in await self._state.pauses()):
            note, paused = "queue already paused", False
        else:
            reason = f"auto: success rate collapsed ({check.summary})"
            await auto_pause(self._session, self._state, reason=reason, scope="queue", actor="auto")
            note, paused = "queue auto-paused; resume manually (POST /api/v1/ops/resume)", True
        await self._alarms.mark_auto_paused(LOW_SUCCESS_RATE, at)
        log.error("alarm.auto_pause", alarm=LOW_SUCCESS_RATE, paused=paused, summary=check.summary)
        notice = AlarmChange(replace(check, summary=f"{check.summary}; {note}"), "firing")
        return [c for c in changed if c.check.name != LOW_SUCCESS_RATE] + [notice], paused
