"""SLO rules without a database: verdicts, error budgets, Wilson intervals and the definitions' validation."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]

from control_plane.cli.slo import parse_moment
from control_plane.domain.slo import (
    Comparison,
    Indicator,
    Objective,
    RatioSample,
    SliKind,
    SliSource,
    Slo,
    ThresholdSample,
    Verdict,
    breached,
    error_budget_left,
    evaluate,
    parse_duration,
    wilson_interval,
)
from control_plane.domain.slo_spec import Observation, SloSpecError, drill_sample, parse_catalog, parse_observations
from control_plane.services.slo import load_slos, packaged_catalog

SEED_SLOS = {
    "job-latency",
    "import-success",
    "no-orphaned-jobs",
    "stalled-jobs-detected",
    "zero-data-loss",
    "failures-retryable",
    "redis-failover-recovery",
    "graceful-shutdown",
    "autoscaling-response",
    "breaker-protection",
}
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def ratio_slo(target: float) -> Slo:
    indicator = Indicator(SliKind.RATIO, SliSource.JOB_STORE, "import_success", {"good": "g", "total": "t"})
    return Slo("ratio", "d", indicator, Objective(target=target), timedelta(days=28), "runbooks/r.md")


def threshold_slo(threshold: float, comparison: Comparison) -> Slo:
    indicator = Indicator(SliKind.THRESHOLD, SliSource.DRILL, "drill", {"value": "v"})
    objective = Objective(threshold=threshold, comparison=comparison, unit="seconds")
    return Slo("threshold", "d", indicator, objective, timedelta(days=28), "runbooks/t.md")


@pytest.mark.parametrize(
    ("good", "total", "low", "high"),
    [
        (8, 10, 0.4901625, 0.9433178),  # R: prop.test(8, 10, correct = FALSE)
        (0, 10, 0.0, 0.2775328),
        (10, 10, 0.7224672, 1.0),
        (990, 1000, 0.9816905, 0.9945592),
        (1, 2, 0.0945312, 0.9054688),
    ],
)
def test_wilson_interval_matches_known_values(good: int, total: int, low: float, high: float) -> None:
    assert wilson_interval(good, total) == pytest.approx((low, high), abs=1e-7)


def test_wilson_interval_needs_events() -> None:
    assert wilson_interval(0, 0) is None


@pytest.mark.parametrize(
    ("target", "good", "total", "left"),
    [
        (0.99, 995, 1000, 0.5),  # 10 failures allowed, 5 spent
        (0.99, 1000, 1000, 1.0),
        (0.99, 990, 1000, 0.0),
        (0.99, 980, 1000, -1.0),  # overspent by a whole budget
        (0.95, 19, 20, 0.0),
    ],
)
def test_error_budget_left(target: float, good: int, total: int, left: float) -> None:
    assert error_budget_left(target, good, total) == pytest.approx(left)


def test_no_error_budget_without_events_or_with_a_target_of_one() -> None:
    assert error_budget_left(0.99, 0, 0) is None
    assert error_budget_left(1.0, 10, 10) is None


def test_ratio_verdicts() -> None:
    slo = ratio_slo(0.95)
    at_target = evaluate(slo, RatioSample(95, 100))
    assert (at_target.verdict, at_target.value, at_target.samples) == (Verdict.PASS, 0.95, 100)
    assert at_target.interval == pytest.approx(wilson_interval(95, 100))
    assert evaluate(slo, RatioSample(94, 100)).verdict is Verdict.BREACH
    empty = evaluate(slo, RatioSample(0, 0))
    assert (empty.verdict, empty.value, empty.error_budget_left, empty.interval) == (Verdict.NO_DATA, None, None, None)


def test_threshold_verdicts_respect_strictness() -> None:
    under_a_minute = threshold_slo(60, Comparison.LT)
    assert evaluate(under_a_minute, ThresholdSample(59.9, 3)).verdict is Verdict.PASS
    assert evaluate(under_a_minute, ThresholdSample(60, 3)).verdict is Verdict.BREACH
    none_allowed = threshold_slo(0, Comparison.LTE)
    assert evaluate(none_allowed, ThresholdSample(0, 40)).verdict is Verdict.PASS
    assert evaluate(none_allowed, ThresholdSample(1, 40)).verdict is Verdict.BREACH
    assert evaluate(none_allowed, ThresholdSample(None, 0)).verdict is Verdict.NO_DATA


def test_no_data_is_not_a_breach_and_a_sample_cannot_lie() -> None:
    evaluations = [evaluate(ratio_slo(0.99), RatioSample(0, 0)), evaluate(ratio_slo(0.99), RatioSample(1, 2))]
    assert [e.verdict for e in breached(evaluations)] == [Verdict.BREACH]
    with pytest.raises(ValueError, match="good"):
        RatioSample(3, 2)
    with pytest.raises(ValueError, match="sample"):
        ThresholdSample(5.0, 0)
    with pytest.raises(ValueError, match="not a ratio"):
        evaluate(threshold_slo(1, Comparison.LT), RatioSample(1, 1))


@pytest.mark.parametrize(("text", "expected"), [("90s", 90), ("10m", 600), ("24h", 86_400), ("28d", 2_419_200)])
def test_durations(text: str, expected: float) -> None:
    assert parse_duration(text) == timedelta(seconds=expected)


@pytest.mark.parametrize("text", ["", "24", "0h", "-1d", "3 fortnights", "1y"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


def test_moments_are_iso_times_or_durations_back() -> None:
    assert parse_moment("24h", T0) == T0 - timedelta(hours=24)
    assert parse_moment("2026-03-01T10:00:00", T0) == datetime(2026, 3, 1, 10, tzinfo=UTC)
    assert parse_moment("2026-03-01T10:00:00+02:00", T0) == datetime(2026, 3, 1, 8, tzinfo=UTC)


def test_the_packaged_catalog_holds_every_seed_slo() -> None:
    slos = load_slos()
    assert {slo.name for slo in slos} == SEED_SLOS
    assert all(slo.runbook.startswith("runbooks/") for slo in slos)
    drills = {slo.name for slo in slos if slo.indicator.source is SliSource.DRILL}
    assert drills == {"redis-failover-recovery", "graceful-shutdown", "autoscaling-response", "breaker-protection"}
    latency = next(slo for slo in slos if slo.name == "job-latency")
    assert (latency.objective.target, dict(latency.indicator.params)) == (
        0.95,
        {"threshold_s": 300, "max_products": 100},
    )


def catalog() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(packaged_catalog())
    return document


def _set(path: str, value: Any) -> dict[str, Any]:
    """The packaged catalog with ``path`` (in its first SLO, job-latency) set; ``None`` deletes it."""
    document = copy.deepcopy(catalog())
    *parents, last = path.split(".")
    node = document["slos"][0]
    for part in parents:
        node = node[part]
    if value is None:
        del node[last]
    else:
        node[last] = value
    return document


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("objective.target", 1.5, "SLO 'job-latency', objective.target: expected a share in (0, 1]"),
        ("objective.target", "95%", "SLO 'job-latency', objective.target: expected a finite number"),
        ("objective.threshold", 5, "SLO 'job-latency', objective.threshold: not a field of a ratio objective"),
        ("window", None, "SLO 'job-latency', window: expected a non-empty text"),
        ("window", "a month", "SLO 'job-latency', window: expected a duration"),
        ("indicator.kind", "histogram", "SLO 'job-latency', indicator.kind: expected one of ['ratio', 'threshold']"),
        ("indicator.source", "prometheus", "SLO 'job-latency', indicator.source: expected one of"),
        ("indicator.good", None, "SLO 'job-latency', indicator.good: expected a non-empty text"),
        ("indicator.value", "worst", "SLO 'job-latency', indicator.value: not a rule of a ratio indicator"),
        ("runbook", "docs/latency.txt", "SLO 'job-latency', runbook: expected a path like runbooks/<name>.md"),
        ("objectiv", {}, "SLO 'job-latency', objectiv: unknown field"),
        ("name", "Job Latency", "SLO 'Job Latency', name: use lower-case letters"),
    ],
)
def test_definition_errors_name_the_slo_and_the_field(path: str, value: Any, message: str) -> None:
    with pytest.raises(SloSpecError) as caught:
        parse_catalog(_set(path, value))
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("indicator.measure", "p99_latency", "SLO 'job-latency', indicator.measure: unknown job-store measure"),
        (
            "indicator.measure",
            "orphaned_jobs",
            "SLO 'job-latency', indicator.kind: measure orphaned_jobs is a",
        ),
        (
            "indicator.params",
            {"max_products": 100},
            "SLO 'job-latency', indicator.params.threshold_s: expected a number",
        ),
        (
            "indicator.params",
            {"threshold_s": 300, "max_products": 99.5},
            "SLO 'job-latency', indicator.params.max_products: expected a whole number",
        ),
    ],
)
def test_definitions_must_be_computable(path: str, value: Any, message: str) -> None:
    with pytest.raises(SloSpecError, match="^" + message.replace("(", r"\(").replace(".", r"\.")):
        load_slos(yaml.safe_dump(_set(path, value)))


def test_catalog_level_errors() -> None:
    document = catalog()
    document["slos"].append(copy.deepcopy(document["slos"][0]))
    with pytest.raises(SloSpecError, match="SLO 'job-latency', name: defined more than once"):
        parse_catalog(document)
    with pytest.raises(SloSpecError, match="slos: expected a non-empty list"):
        parse_catalog({"slos": []})
    with pytest.raises(SloSpecError, match=r"\(yaml\)"):
        load_slos("slos: [unclosed")


def test_drill_evidence_is_checked_and_windowed() -> None:
    slos = load_slos()
    observations = parse_observations(
        {
            "observations": [
                {"slo": "graceful-shutdown", "at": "2026-03-02T09:00:00Z", "value": 12, "source": "drill-a"},
                {"slo": "graceful-shutdown", "at": "2026-03-02T09:30:00", "value": 29.5},
                {"slo": "graceful-shutdown", "at": "2026-03-02T10:00:00Z", "value": 45},
            ]
        },
        slos,
    )
    sample = drill_sample(observations, "graceful-shutdown", T0, T0 + timedelta(hours=1))
    assert (sample.value, sample.samples) == (29.5, 2)  # the one at `until` belongs to the next window
    assert drill_sample(observations, "breaker-protection", T0, T0 + timedelta(hours=1)).value is None
    recorded = [
        Observation("graceful-shutdown", T0, 4.0, "chaos:worker-sigterm", "run-1"),
        Observation(
            "graceful-shutdown", T0 + timedelta(minutes=5), 45.0, "chaos:worker-sigterm", "run-2", {"lower_bound": True}
        ),
    ]
    worst = drill_sample(recorded, "graceful-shutdown", T0, T0 + timedelta(hours=1))
    assert (worst.value, worst.samples) == (45.0, 2)
    assert worst.details == {"sources": ["chaos:worker-sigterm"], "worst_run": "run-2", "worst_is_lower_bound": True}
    for bad, message in (
        ([{"slo": "nope", "at": "2026-03-02T09:00:00Z", "value": 1}], "observations[0].slo: no SLO named 'nope'"),
        ([{"slo": "import-success", "at": "2026-03-02", "value": 1}], "computed from the job store"),
        ([{"slo": "graceful-shutdown", "at": "noon", "value": 1}], "observations[0].at: expected an ISO 8601"),
        ([{"slo": "graceful-shutdown", "at": "2026-03-02", "value": "fast"}], "observations[0].value"),
        ({"drills": []}, "observations: expected a list"),
    ):
        with pytest.raises(SloSpecError, match=message.replace("[", r"\[").replace("(", r"\(")):
            parse_observations(bad, slos)
