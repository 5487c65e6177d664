"""A load run's autoscaling response: from the scale-out decision to a new worker's first claim (no I/O)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from control_plane.db.repositories.load_runs import EventRow
from control_plane.domain.autoscaling import ScalingDecision
from control_plane.domain.slo_spec import informative
from control_plane.services.slo import load_slos
from loadtests.load.scaling import Response, observation, response

T0 = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)
SINCE, UNTIL = T0.timestamp(), T0.timestamp() + 600
SLO = next(slo for slo in load_slos() if slo.name == "autoscaling-response")


def decision(at_s: float, desired: int, reason: str = "scale out") -> ScalingDecision:
    at = SINCE + at_s
    return ScalingDecision(desired, desired, desired * 10, at, at, reason)


def started(worker: str, at_s: float) -> EventRow:
    return EventRow(uuid.uuid4(), T0 + timedelta(seconds=at_s), "started", worker, "QUEUED", "RUNNING", {})


POOL_BUSY = [started("w1", 1), started("w2", 2), started("w1", 3)]


def test_the_clock_runs_from_the_first_decision_asking_for_more_workers_to_a_new_workers_claim() -> None:
    decisions = [decision(0, 2, "initial"), decision(15, 2, "steady"), decision(30, 6), decision(45, 9)]
    found = response(decisions, [*POOL_BUSY, started("w3", 70), started("w4", 80)], 2, (SINCE, UNTIL), 4)
    assert (found.seconds, found.decided_at, found.lower_bound) == (40.0, SINCE + 30, False)


def test_pool_workers_idle_at_the_decision_are_not_taken_for_new_ones() -> None:
    events = [started("w1", 1), started("w2", 50), started("w3", 90)]  # w2 was in the pool, idle until 50 s
    assert response([decision(30, 6)], events, 2, (SINCE, UNTIL), 3).seconds == 60.0


def test_nothing_is_measured_without_a_scale_out_or_when_nothing_started_workers() -> None:
    assert response([decision(0, 2, "initial")], POOL_BUSY, 2, (SINCE, UNTIL), 2).seconds is None
    fixed = response([decision(30, 6)], POOL_BUSY, 2, (SINCE, UNTIL), 2)
    assert (fixed.seconds, fixed.note) == (None, "no worker was started during the run (live workers never above 2)")
    assert observation(fixed, "run", T0) is None


def test_workers_started_that_never_claimed_give_a_failing_lower_bound() -> None:
    found = response([decision(30, 6)], POOL_BUSY, 2, (SINCE, UNTIL), 5)
    assert (found.seconds, found.lower_bound) == (570.0, True)
    seen = observation(found, "run-1", T0 + timedelta(seconds=600))
    assert seen is not None
    assert (seen.slo, seen.value, seen.source, seen.run_id) == ("autoscaling-response", 570.0, "load", "run-1")
    assert seen.details["lower_bound"] is True
    assert informative(seen, SLO)
    short = observation(Response(60.0, SINCE, lower_bound=True), "run-2", T0)  # "at least a minute" of < 2 min
    assert short is not None and not informative(short, SLO)
