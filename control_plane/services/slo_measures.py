"""The job-store SLIs: each measure turns repository counts into a domain measurement.

The SLO file names a measure and gives its numbers (``params``); the registry
below says which measures exist, what kind of SLI each yields and which
params it needs, so a definition that cannot be computed is refused at load.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from control_plane.db.repositories.slo import SloRepository
from control_plane.domain.slo import Measurement, RatioSample, SliKind, SliSource, Slo, ThresholdSample
from control_plane.domain.slo_spec import SloSpecError

Params = Mapping[str, Any]
Compute = Callable[[SloRepository, Params, datetime, datetime], Awaitable[Measurement]]


@dataclass(frozen=True)
class Measure:
    kind: SliKind
    compute: Compute
    params: Mapping[str, type]
    """Required params and their type: int, float (an int will do) or list (of texts)."""


def _seconds(params: Params, name: str) -> timedelta:
    return timedelta(seconds=float(params[name]))


def _ids(ids: Iterable[object]) -> list[str]:
    return [str(i) for i in ids]


def _threshold(value: float | None, samples: int, details: Mapping[str, Any]) -> ThresholdSample:
    """No samples means no data, whatever the value would have been."""
    return ThresholdSample(value if samples else None, samples, details)


async def job_latency(repo: SloRepository, params: Params, since: datetime, until: datetime) -> Measurement:
    counts = await repo.latency(
        since, until, threshold=_seconds(params, "threshold_s"), max_products=int(params["max_products"])
    )
    return RatioSample(counts.good, counts.total, {"failed": counts.failed, "overdue": counts.overdue})


async def import_success(repo: SloRepository, params: Params, since: datetime, until: datetime) -> Measurement:
    counts = await repo.outcomes(since, until)
    details = {"cancelled_excluded": counts.cancelled, "without_outcome": counts.unsettled}
    return RatioSample(counts.completed, counts.completed + counts.failed, details)


async def orphaned_jobs(repo: SloRepository, params: Params, since: datetime, until: datetime) -> Measurement:
    states = await repo.states_at_until(since, until, orphan_after=_seconds(params, "orphan_after_s"))
    details = {"longest_wait_s": states.longest_wait_s, "examples": _ids(states.orphan_examples)}
    return _threshold(states.orphaned, states.examined, details)


async def stall_detection(repo: SloRepository, params: Params, since: datetime, until: datetime) -> Measurement:
    detected = await repo.detected_stalls(since, until)
    undetected = await repo.undetected_stalls(until)
    stalls = detected.count + undetected.count
    worst = max((s.worst_s for s in (detected, undetected) if s.worst_s is not None), default=None)
    details = {
        "detected": detected.count,
        "undetected": undetected.count,
        "undetected_examples": _ids(undetected.examples),
    }
    return _over_watched_runs(worst, stalls, await _runs_started(repo, since, until), details)


async def data_loss(repo: SloRepository, params: Params, since: datetime, until: datetime) -> Measurement:
    states = await repo.states_at_until(since, until, orphan_after=_seconds(params, "orphan_after_s"))
    abandoned = await repo.abandoned(since, until, stall_after=_seconds(params, "stall_after_s"))
    inconsistent, inconsistent_examples = await repo.inconsistent_completions(since, until)
    details = {
        "orphaned": states.orphaned_in_window,
        "abandoned": abandoned.count,
        "inconsistent_completions": inconsistent,
        "examples": _ids([*states.orphaned_in_window_examples, *abandoned.examples, *inconsistent_examples]),
    }
    return _threshold(states.orphaned_in_window + abandoned.count + inconsistent, states.requested, details)


async def failure_classes(repo: SloRepository, params: Params, since: datetime, until: datetime) -> Measurement:
    classes = await repo.failure_classes(
        since, until, permanent=params["permanent_reasons"], exhausted=params["exhausted_reasons"]
    )
    failed = classes.permanent + classes.exhausted + classes.unclassified
    details = {
        "permanent": classes.permanent,
        "retries_exhausted": classes.exhausted,
        "unclassified": classes.unclassified,
        "examples": _ids(classes.unclassified_examples),
    }
    return _over_watched_runs(classes.unclassified, failed, await _runs_started(repo, since, until), details)


async def _runs_started(repo: SloRepository, since: datetime, until: datetime) -> int:
    counts = await repo.outcomes(since, until)
    return counts.completed + counts.failed + counts.cancelled + counts.unsettled


def _over_watched_runs(worst: float | None, events: int, runs: int, details: Mapping[str, Any]) -> ThresholdSample:
    """An SLO about rare events (stalls, failures) judged over every run watched for them.

    A window whose runs had none of the events measured something: the worst is 0 (no
    detection delay, no failure outside the retry policy). The samples are the runs
    started in the window, or the events if more (a stall of a run started earlier);
    a window without runs is no data.
    """
    samples = max(runs, events)
    return _threshold(worst if events else 0.0, samples, {**details, "runs_watched": runs})


MEASURES: Mapping[str, Measure] = {
    "job_latency": Measure(SliKind.RATIO, job_latency, {"threshold_s": float, "max_products": int}),
    "import_success": Measure(SliKind.RATIO, import_success, {}),
    "orphaned_jobs": Measure(SliKind.THRESHOLD, orphaned_jobs, {"orphan_after_s": float}),
    "stall_detection": Measure(SliKind.THRESHOLD, stall_detection, {}),
    "data_loss": Measure(SliKind.THRESHOLD, data_loss, {"orphan_after_s": float, "stall_after_s": float}),
    "failure_classes": Measure(
        SliKind.THRESHOLD, failure_classes, {"permanent_reasons": list, "exhausted_reasons": list}
    ),
}


def check_measures(slos: Sequence[Slo]) -> None:
    """Every job-store SLO names a known measure of its kind, with the params that measure needs."""
    for slo in slos:
        if slo.indicator.source is not SliSource.JOB_STORE:
            continue
        measure = MEASURES.get(slo.indicator.measure)
        if measure is None:
            raise SloSpecError(slo.name, "indicator.measure", f"unknown job-store measure (one of {sorted(MEASURES)})")
        if measure.kind is not slo.kind:
            raise SloSpecError(slo.name, "indicator.kind", f"measure {slo.indicator.measure} is a {measure.kind} SLI")
        for name, expected in measure.params.items():
            _check_param(slo, name, expected)


def _check_param(slo: Slo, name: str, expected: type) -> None:
    value = slo.indicator.params.get(name)
    number = value if isinstance(value, int | float) and not isinstance(value, bool) else None
    fits = {
        int: isinstance(number, int),
        float: number is not None,
        list: isinstance(value, list) and bool(value),
    }[expected]
    if not fits or (number is not None and number < 0):
        what = {int: "a whole number", float: "a number", list: "a non-empty list of texts"}[expected]
        raise SloSpecError(slo.name, f"indicator.params.{name}", f"expected {what} (not negative), got {value!r}")
