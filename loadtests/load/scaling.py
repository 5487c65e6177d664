"""Autoscaling response of a load run: from the autoscaler asking for more workers to a new worker's first claim.

The SLO ``autoscaling-response`` (REQ-SLO-3) times the queue depth crossing the
scale-up threshold until a worker not seen before claims its first job. The
autoscaler notices the crossing at its tick (``alarm_interval_s``), so the run
starts the clock at the first decision in the run that asks for more workers
than the one before (the first decision: more than the pool the run started
with); what happened between the crossing and that tick is not counted.

A *new* worker is one whose first ``started`` event (its actor is the worker)
comes at or after the decision and that claimed nothing before it. Pool
workers that had claimed nothing yet at the decision cannot be told from new
ones, so as many unseen workers as the pool had idle are skipped first.

Only what was measured is recorded. No scale-out decision in the run, or a
pool that never grew (the sampled live workers never above the pool: nothing
started workers, as on the local stack unless ``importctl stack scale`` runs
beside the run), measures nothing. A pool that grew while no new worker
claimed a job before the run ended gives ``until - decision``, a lower bound,
recorded only when it already misses the objective.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from control_plane.db.repositories.load_runs import EventRow
from control_plane.domain.autoscaling import ScalingDecision
from control_plane.domain.slo_spec import Observation, informative
from control_plane.services.slo import load_slos
from control_plane.services.slo_evidence import SloEvidence

SLO = "autoscaling-response"
SOURCE = "load"


@dataclass(frozen=True)
class Response:
    seconds: float | None
    """None when the run measured nothing (``note`` says why)."""
    decided_at: float | None = None
    """Unix seconds of the scale-out decision the clock started at."""
    lower_bound: bool = False
    note: str = ""


def scale_out(decisions: Sequence[ScalingDecision], pool: int, since: float, until: float) -> ScalingDecision | None:
    """The first decision in [since, until) asking for more workers than the one before it (or than ``pool``)."""
    previous = pool
    for decision in sorted(decisions, key=lambda d: d.decided_at):
        if decision.decided_at >= until:
            break
        if decision.decided_at >= since and decision.desired > previous:
            return decision
        previous = decision.desired
    return None


def response(
    decisions: Sequence[ScalingDecision],
    events: Sequence[EventRow],
    pool: int,
    window: tuple[float, float],
    peak_live: int | None,
) -> Response:
    """How long after the scale-out decision a new worker claimed its first job (see the module docstring)."""
    since, until = window
    decision = scale_out(decisions, pool, since, until)
    if decision is None:
        return Response(None, note="the autoscaler asked for no more workers during the run")
    at = decision.decided_at
    first: dict[str, float] = {}
    for event in sorted((e for e in events if e.kind == "started"), key=lambda e: e.at):
        first.setdefault(event.actor, event.at.timestamp())
    before = sum(1 for t in first.values() if t < at)
    later = sorted(t for t in first.values() if t >= at)
    idle = max(0, pool - before)
    if len(later) > idle:
        return Response(later[idle] - at, at)
    if peak_live is None or peak_live <= pool:
        return Response(None, at, note=f"no worker was started during the run (live workers never above {pool})")
    return Response(until - at, at, lower_bound=True, note="workers were started, none claimed a job in the run")


def observation(found: Response, run_id: str, at: datetime) -> Observation | None:
    if found.seconds is None or found.decided_at is None:
        return None
    details: dict[str, object] = {"decided_at": datetime.fromtimestamp(found.decided_at, UTC).isoformat()}
    if found.lower_bound:
        details["lower_bound"] = True
    return Observation(SLO, at, round(found.seconds, 3), SOURCE, run_id, details)


async def record_response(
    sessions: async_sessionmaker[AsyncSession], found: Response, run_id: str, at: datetime
) -> list[Observation]:
    """Record the run's autoscaling response (this is the edge: one transaction); what was recorded."""
    slos = load_slos()
    seen = observation(found, run_id, at)
    if seen is None or not informative(seen, next(slo for slo in slos if slo.name == SLO)):
        return []
    async with sessions() as session:
        await SloEvidence(session).record([seen], slos)
        await session.commit()
    return [seen]
