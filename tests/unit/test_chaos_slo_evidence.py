"""What a drill records for its SLO: only what it measured, nothing when it aborted (no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chaos.model import SEED_FAILURES, DrillRecord, SloValue
from chaos.slo_evidence import measure, observations
from control_plane.services.slo import load_slos
from harness.settings.chaos import ChaosSettings

START = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)
SLOS = load_slos()
OPTIONS = ChaosSettings()


def run(
    drill: str, *, injected: bool = True, aborted: str | None = None, recover_s: float | None = None
) -> DrillRecord:
    record = DrillRecord(drill, f"20261123T130000Z-{drill}", f"{drill}.md", SEED_FAILURES["redis"], START)
    if injected:
        record.note(START + timedelta(seconds=2), "inject", "the fault")
    record.recover_s = recover_s
    record.aborted = aborted
    record.finished_at = START + timedelta(seconds=90)
    return record


def measured(record: DrillRecord, scratch: dict[str, Any] | None = None, options: ChaosSettings = OPTIONS) -> list[Any]:
    measure(record, scratch or {}, options)
    return [(o.slo, o.value, o.source, o.run_id, dict(o.details)) for o in observations(record, SLOS)]


def test_a_redis_outage_records_its_recovery_time_at_the_end_of_the_run() -> None:
    record = run("redis-outage", recover_s=12.5)
    assert measured(record) == [("redis-failover-recovery", 12.5, "chaos:redis-outage", record.run_id, {})]
    (observation,) = observations(record, SLOS)
    assert observation.at == record.finished_at


def test_a_drill_that_aborted_or_injected_nothing_records_nothing() -> None:
    assert measured(run("redis-outage", recover_s=12.5, aborted="drill raised TimeoutError")) == []
    assert measured(run("redis-outage", recover_s=12.5, injected=False)) == []
    assert measured(run("db-outage", recover_s=1.0)) == []  # measures no drill-sourced SLO
    aborted_later = run("redis-outage", recover_s=12.5)
    aborted_later.slo_values["redis-failover-recovery"] = SloValue(12.5)
    aborted_later.aborted = "interrupted by the operator; faults rolled back"
    assert observations(aborted_later, SLOS) == []


def test_no_recovery_within_the_wait_records_a_failing_lower_bound_only_beyond_the_objective() -> None:
    never = run("redis-outage")
    assert measured(never) == [
        (
            "redis-failover-recovery",
            OPTIONS.recovery_timeout_s,
            "chaos:redis-outage",
            never.run_id,
            {"lower_bound": True},
        )
    ]
    short_wait = OPTIONS.model_copy(update={"recovery_timeout_s": 30.0})  # "more than 30 s" proves nothing of < 60 s
    assert measured(run("redis-outage"), options=short_wait) == []


@pytest.mark.parametrize(
    ("scratch", "expected"),
    [
        ({"drain_s": 4.25}, [("graceful-shutdown", 4.25, {})]),
        ({"drain_s": None}, [("graceful-shutdown", OPTIONS.drain_limit_s + 15, {"lower_bound": True})]),
        ({}, []),  # no busy worker to signal
    ],
)
def test_a_sigterm_drill_records_the_drain_time(scratch: dict[str, Any], expected: list[Any]) -> None:
    assert [(slo, value, details) for slo, value, _, _, details in measured(run("worker-sigterm"), scratch)] == expected


@pytest.mark.parametrize(
    ("scratch", "expected"),
    [
        ({"breaker_seen_open": True, "calls_while_open": 0, "calls_during_fault": 40}, 0),
        ({"breaker_seen_open": True, "calls_while_open": 3, "calls_during_fault": 40}, 3),
        ({"breaker_seen_open": False, "calls_while_open": 0, "calls_during_fault": 40}, 40),  # never protected
    ],
)
def test_a_provider_outage_records_the_calls_that_got_past_the_breaker(scratch: dict[str, Any], expected: int) -> None:
    assert [(slo, value) for slo, value, *_ in measured(run("provider-down"), scratch)] == [
        ("breaker-protection", expected)
    ]
