"""Alarm thresholds, the autoscaler's arithmetic and cooldown, and the EMF line's shape."""

from __future__ import annotations

import io
import json

import pytest

from control_plane.domain.alarms import (
    LOW_SUCCESS_RATE,
    LOW_WORKER_COUNT,
    PROVIDER_ERRORS,
    QUEUE_OVERLOAD,
    AlarmThresholds,
    changes,
    evaluate,
)
from control_plane.domain.autoscaling import ScalingPolicy, decide, target_workers
from control_plane.domain.ops import JobCounts, OpsFigures, ProviderCalls
from control_plane.integrations.metrics.emf import NAMESPACE, emf_line, write_emf

SEED = AlarmThresholds(overload_at=10_000, success_rate_floor=0.90, min_workers=2, provider_error_ceiling=0.10)
HEALTHY = OpsFigures(
    waiting=10,
    live_workers=3,
    recent=JobCounts(started=20, completed=19, failed=1),
    provider=ProviderCalls(recent_requests=100, recent_errors=5),
)


def firing(figures: OpsFigures) -> set[str]:
    return {check.name for check in evaluate(figures, SEED) if check.firing}


def test_a_healthy_fleet_fires_nothing() -> None:
    assert firing(HEALTHY) == set()


@pytest.mark.parametrize(
    ("figures", "alarm"),
    [
        (OpsFigures(waiting=9_000, delayed=1_001, live_workers=3), QUEUE_OVERLOAD),
        (OpsFigures(live_workers=3, recent=JobCounts(completed=8, failed=2)), LOW_SUCCESS_RATE),
        (OpsFigures(live_workers=1), LOW_WORKER_COUNT),
        (OpsFigures(live_workers=3, provider=ProviderCalls(recent_requests=100, recent_errors=11)), PROVIDER_ERRORS),
    ],
)
def test_each_rule_fires_past_its_threshold(figures: OpsFigures, alarm: str) -> None:
    assert firing(figures) == {alarm}


def test_thresholds_are_strict_and_missing_data_never_fires() -> None:
    at_limits = OpsFigures(
        waiting=10_000,
        live_workers=2,
        recent=JobCounts(completed=9, failed=1),
        provider=ProviderCalls(recent_requests=10, recent_errors=1),
    )
    assert firing(at_limits) == set()
    assert firing(OpsFigures(live_workers=2)) == set()  # no finished jobs, no provider calls


def test_changes_report_firing_then_resolved_once() -> None:
    down = evaluate(OpsFigures(live_workers=0), SEED)
    fired = changes({}, down)
    assert [(c.check.name, c.status) for c in fired] == [(LOW_WORKER_COUNT, "firing")]
    assert fired[0].check.runbook == "runbooks/low-worker-count.md"
    assert changes({LOW_WORKER_COUNT: True}, down) == []
    resolved = changes({LOW_WORKER_COUNT: True}, evaluate(HEALTHY, SEED))
    assert [(c.check.name, c.status) for c in resolved] == [(LOW_WORKER_COUNT, "resolved")]


POLICY = ScalingPolicy(jobs_per_worker=10, minimum=2, maximum=50, scale_in_cooldown_s=300)


@pytest.mark.parametrize(("backlog", "workers"), [(0, 2), (15, 2), (21, 3), (100, 10), (101, 11), (10_000, 50)])
def test_target_is_ceil_of_backlog_clamped(backlog: int, workers: int) -> None:
    assert target_workers(backlog, POLICY) == workers


def test_scale_out_is_immediate_and_scale_in_waits_for_the_cooldown() -> None:
    first = decide(25, POLICY, None, now=1000.0)
    assert (first.desired, first.changed_at) == (3, 1000.0)
    out = decide(95, POLICY, first, now=1015.0)
    assert (out.desired, out.reason) == (10, "scale out")
    held = decide(0, POLICY, out, now=1015.0 + 299)
    assert (held.desired, held.target, held.changed_at) == (10, 2, 1015.0)
    assert held.reason.startswith("scale in held")
    scaled_in = decide(0, POLICY, held, now=1015.0 + 300)
    assert (scaled_in.desired, scaled_in.reason, scaled_in.changed_at) == (2, "scale in", 1315.0)
    assert decide(0, POLICY, scaled_in, now=2000.0).reason == "steady"


def test_policy_refuses_inverted_bounds() -> None:
    with pytest.raises(ValueError, match="minimum <= maximum"):
        ScalingPolicy(jobs_per_worker=10, minimum=5, maximum=2, scale_in_cooldown_s=0)


def test_emf_line_is_one_cloudwatch_document() -> None:
    line = emf_line(HEALTHY, desired_workers=4, timestamp_ms=1_700_000_000_000, service="workers")
    assert "\n" not in line
    document = json.loads(line)
    directive = document["_aws"]["CloudWatchMetrics"][0]
    assert document["_aws"]["Timestamp"] == 1_700_000_000_000
    assert directive["Namespace"] == NAMESPACE == "ImportControlPlane"
    assert directive["Dimensions"] == [["Service"]]
    assert document["Service"] == "workers"
    for metric in directive["Metrics"]:  # every declared metric has a numeric top-level value
        assert isinstance(document[metric["Name"]], int | float)
    assert document["QueueDepth"] == 10
    assert document["SuccessRate"] == pytest.approx(0.95)
    assert document["ProviderErrorRatio"] == pytest.approx(0.05)
    assert document["DesiredWorkers"] == 4
    out = io.StringIO()
    write_emf(line, out)
    assert out.getvalue() == line + "\n"
