"""Periodic alarm and autoscaler evaluation, one worker of the fleet per tick (arq cron, unique).

A tick that cannot reach PostgreSQL or Redis only logs; alarm state stays as
it was and the next tick tries again.
"""

from __future__ import annotations

from typing import Any

import structlog
from arq.cron import CronJob, cron
from sqlalchemy.exc import SQLAlchemyError

from control_plane.domain.errors import DependencyUnavailable
from control_plane.services.alarms import OpsEvaluator
from control_plane.settings import OpsSettings
from workers.reconciliation_tasks import cron_schedule
from workers.resources import CronResources, resources

log = structlog.get_logger("workers.ops")


async def evaluate_ops(ctx: dict[str, Any]) -> dict[str, Any]:
    cron = resources(ctx, CronResources)
    try:
        async with cron.sessions() as session:
            result = await OpsEvaluator(session, cron.redis, cron.settings).run()
            await session.commit()  # the audit row of an emergency pause, if this tick made one
    except (SQLAlchemyError, OSError, DependencyUnavailable) as exc:
        log.warning("ops.evaluation_failed", error=str(exc))
        return {"unavailable": True}
    firing = [check.name for check in result.checks if check.firing]
    log.info("ops.evaluated", firing=firing, desired_workers=result.decision.desired, depth=result.figures.queue_depth)
    return {"firing": firing, "desired_workers": result.decision.desired}


def ops_cron_jobs(settings: OpsSettings) -> list[CronJob]:
    """Every ``alarm_interval_s``: well inside the two minutes a scale-out must take."""
    return [cron(evaluate_ops, unique=True, timeout=60, **cron_schedule(settings.alarm_interval_s))]
