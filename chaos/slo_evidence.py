"""What a drill measured for the drill-sourced SLOs, and its recording in the job store at the end of the run.

Three drills measure one SLO each (the catalogue's ``slos.yaml`` says what each SLO's value is):

- ``redis-outage`` → ``redis-failover-recovery``: seconds from Redis back (proxy restored, server
  restarted) until imports flow again (the drill's recovery time);
- ``worker-sigterm`` → ``graceful-shutdown``: seconds from SIGTERM to the worker's exit;
- ``provider-down`` → ``breaker-protection``: provider calls between two samples that both saw the
  breaker open; a breaker never seen open protected nothing, so every call the shop received during
  the outage counts.

Only what was really measured is recorded. A drill that aborted (its steady state failed, a step
raised, a wait timed out, it was interrupted) or injected nothing records nothing. A drill that
injected its fault but never saw what it times within its wait (no recovery, the worker never
exited) records the wait, flagged as a lower bound, when that already misses the objective;
a lower bound within the objective proves nothing and is not recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from chaos.model import DrillRecord, SloValue
from chaos.worker_drills import drain_wait_s
from control_plane.domain.slo import Slo
from control_plane.domain.slo_spec import Observation, informative
from control_plane.services.slo import load_slos
from control_plane.services.slo_evidence import SloEvidence
from harness.settings.chaos import ChaosSettings

Scratch = dict[str, Any]


def _recovery(record: DrillRecord, scratch: Scratch, options: ChaosSettings) -> SloValue:
    if record.recover_s is not None:
        return SloValue(record.recover_s)
    return SloValue(options.recovery_timeout_s, lower_bound=True)


def _drain(record: DrillRecord, scratch: Scratch, options: ChaosSettings) -> SloValue | None:
    if "drain_s" not in scratch:
        return None  # no worker was signalled
    drained = scratch["drain_s"]
    return SloValue(drained) if drained is not None else SloValue(drain_wait_s(options), lower_bound=True)


def _breaker(record: DrillRecord, scratch: Scratch, options: ChaosSettings) -> SloValue | None:
    if "calls_during_fault" not in scratch:
        return None  # the sampler never took a sample
    if scratch.get("breaker_seen_open"):
        return SloValue(scratch["calls_while_open"])
    return SloValue(scratch["calls_during_fault"])


Measure = Callable[[DrillRecord, Scratch, ChaosSettings], SloValue | None]
DRILL_SLOS: dict[str, tuple[str, Measure]] = {
    "redis-outage": ("redis-failover-recovery", _recovery),
    "worker-sigterm": ("graceful-shutdown", _drain),
    "provider-down": ("breaker-protection", _breaker),
}
"""Drill → the SLO it measures and how its value is read off the run."""


def measure(record: DrillRecord, scratch: Scratch, options: ChaosSettings) -> None:
    """At the end of an injected, finished run: put the SLO value the drill measured on its record."""
    entry = DRILL_SLOS.get(record.drill)
    injected = any(action.kind == "inject" for action in record.timeline)
    if entry is None or not injected or record.aborted is not None:
        return
    slo, read = entry
    value = read(record, scratch, options)
    if value is not None:
        record.slo_values[slo] = value


def observations(record: DrillRecord, slos: Sequence[Slo]) -> list[Observation]:
    """The record's SLO values as observations, taken at the end of the run; none for an aborted drill."""
    if record.aborted is not None:
        return []
    by_name = {slo.name: slo for slo in slos}
    at = record.finished_at or record.started_at
    found = [
        Observation(
            name,
            at,
            float(measured.value),
            f"chaos:{record.drill}",
            record.run_id,
            {"lower_bound": True} if measured.lower_bound else {},
        )
        for name, measured in record.slo_values.items()
    ]
    return [observation for observation in found if informative(observation, by_name[observation.slo])]


async def record_observations(sessions: async_sessionmaker[AsyncSession], record: DrillRecord) -> int:
    """Record the run's observations in one transaction (this is the edge); returns how many were new."""
    slos = load_slos()
    found = observations(record, slos)
    if not found:
        return 0
    async with sessions() as session:
        added = await SloEvidence(session).record(found, slos)
        await session.commit()
    return added
