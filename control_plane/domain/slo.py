"""Service level objectives: what each promises, and how a measurement is judged against it.

The objectives are data (one YAML file, validated by :mod:`control_plane.domain.slo_spec`);
the rules here turn a measurement into a verdict, an error budget and a confidence
interval without any I/O, so the verifier, load reports and dashboards judge alike.
A verdict is never "pass" without data: an empty sample is "no data".
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Any

Z_95 = 1.959963984540054
"""Two-sided 95% quantile of the standard normal distribution."""

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
DURATION_PATTERN = r"^[0-9]+(\.[0-9]+)?[smhdw]$"
"""The durations :func:`parse_duration` reads, in their plain form (no spaces): the API documents it."""
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}


class SliKind(StrEnum):
    RATIO = "ratio"
    """good / total must reach the target."""
    THRESHOLD = "threshold"
    """The worst observed value (a duration, a count) must stay within the threshold."""


class SliSource(StrEnum):
    JOB_STORE = "job_store"
    """Computed from PostgreSQL's jobs and their append-only timeline."""
    DRILL = "drill"
    """Measured by chaos drills or load runs, which record their observations for the verifier."""


class Comparison(StrEnum):
    LT = "lt"
    LTE = "lte"

    def holds(self, value: float, threshold: float) -> bool:
        return value < threshold if self is Comparison.LT else value <= threshold


class Verdict(StrEnum):
    PASS = "pass"  # noqa: S105 - a verdict, not a password
    BREACH = "breach"
    NO_DATA = "no data"


@dataclass(frozen=True)
class Indicator:
    """The SLI: which measure computes it, from where, its numbers (``params``) and its rules in words.

    ``rules`` holds ``good`` and ``total`` for a ratio, ``value`` (and optionally ``samples``) for a
    threshold: they document exactly what the measure counts, next to the numbers it counts with.
    """

    kind: SliKind
    source: SliSource
    measure: str
    rules: Mapping[str, str]
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Objective:
    """A ratio SLO sets ``target`` (0 < target ≤ 1); a threshold SLO sets ``threshold`` and ``comparison``."""

    target: float | None = None
    threshold: float | None = None
    comparison: Comparison = Comparison.LTE
    unit: str = ""


@dataclass(frozen=True)
class Slo:
    name: str
    description: str
    indicator: Indicator
    objective: Objective
    window: timedelta
    runbook: str

    @property
    def kind(self) -> SliKind:
        return self.indicator.kind


@dataclass(frozen=True)
class RatioSample:
    """``good`` of ``total`` events were good."""

    good: int
    total: int
    details: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0 <= self.good <= self.total:
            raise ValueError(f"need 0 <= good <= total, got good={self.good} total={self.total}")


@dataclass(frozen=True)
class ThresholdSample:
    """The worst ``value`` among ``samples`` observations (None when there were none)."""

    value: float | None
    samples: int
    details: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.samples < 0 or (self.samples > 0) != (self.value is not None):
            raise ValueError(f"a value needs at least one sample: value={self.value} samples={self.samples}")


Measurement = RatioSample | ThresholdSample


@dataclass(frozen=True)
class Evaluation:
    """One SLO judged over one window."""

    slo: Slo
    verdict: Verdict
    value: float | None
    samples: int
    error_budget_left: float | None = None
    """Share of the window's error budget still unspent (negative when overspent); ratio SLOs only."""
    interval: tuple[float, float] | None = None
    """Wilson 95% confidence interval of the ratio; ratio SLOs only."""
    details: Mapping[str, Any] = field(default_factory=dict)


def parse_duration(text: str) -> timedelta:
    """``90s``, ``10m``, ``24h``, ``28d``, ``2w`` → a positive timedelta; ValueError otherwise."""
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"expected a duration like 30m, 24h or 28d, got {text!r}")
    seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if seconds <= 0:
        raise ValueError(f"a duration must be positive, got {text!r}")
    return timedelta(seconds=seconds)


def wilson_interval(good: int, total: int, z: float = Z_95) -> tuple[float, float] | None:
    """Wilson score interval for good/total: unlike the normal approximation it stays in [0, 1]
    and is honest for small samples and ratios near 1, which is where SLOs live."""
    if total <= 0:
        return None
    p = good / total
    z2 = z * z
    denominator = 1 + z2 / total
    centre = (p + z2 / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z2 / (4 * total * total)) / denominator
    low = 0.0 if good == 0 else max(0.0, centre - half)
    high = 1.0 if good == total else min(1.0, centre + half)
    return low, high


def error_budget_left(target: float, good: int, total: int) -> float | None:
    """((1 - target) * total - bad) as a share of the budget, (1 - target) * total.

    None without events, or when the target is 1 (there is no budget to spend).
    """
    allowed = (1 - target) * total
    if total <= 0 or allowed <= 0:
        return None
    return (allowed - (total - good)) / allowed


def evaluate(slo: Slo, measurement: Measurement) -> Evaluation:
    """The verdict for ``slo`` on ``measurement``: no data when nothing was observed."""
    if isinstance(measurement, RatioSample):
        return _ratio(slo, measurement)
    return _threshold(slo, measurement)


def _ratio(slo: Slo, sample: RatioSample) -> Evaluation:
    target = slo.objective.target
    if slo.kind is not SliKind.RATIO or target is None:
        raise ValueError(f"SLO {slo.name!r} is not a ratio SLO")
    if sample.total == 0:
        return Evaluation(slo, Verdict.NO_DATA, None, 0, details=sample.details)
    value = sample.good / sample.total
    return Evaluation(
        slo,
        Verdict.PASS if value >= target else Verdict.BREACH,
        value,
        sample.total,
        error_budget_left=error_budget_left(target, sample.good, sample.total),
        interval=wilson_interval(sample.good, sample.total),
        details=sample.details,
    )


def _threshold(slo: Slo, sample: ThresholdSample) -> Evaluation:
    threshold = slo.objective.threshold
    if slo.kind is not SliKind.THRESHOLD or threshold is None:
        raise ValueError(f"SLO {slo.name!r} is not a threshold SLO")
    if sample.value is None:
        return Evaluation(slo, Verdict.NO_DATA, None, 0, details=sample.details)
    holds = slo.objective.comparison.holds(sample.value, threshold)
    return Evaluation(
        slo, Verdict.PASS if holds else Verdict.BREACH, sample.value, sample.samples, details=sample.details
    )


def breached(evaluations: Iterable[Evaluation]) -> list[Evaluation]:
    """The breaches; "no data" is not one (absence of evidence is reported, not failed)."""
    return [evaluation for evaluation in evaluations if evaluation.verdict is Verdict.BREACH]
