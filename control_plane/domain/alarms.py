"""Alarm rules: which figures page whom, and when an alarm fires or resolves.

Pure functions over an :class:`OpsFigures` snapshot; the service keeps the
firing state in Redis and sends notifications on every change.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from control_plane.domain.ops import OpsFigures


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"


@dataclass(frozen=True)
class AlarmThresholds:
    overload_at: int
    success_rate_floor: float
    min_workers: int
    provider_error_ceiling: float


@dataclass(frozen=True)
class AlarmCheck:
    """One rule's verdict; ``value`` is None when there is nothing to judge (it then never fires)."""

    name: str
    severity: Severity
    firing: bool
    value: float | None
    threshold: float
    summary: str

    @property
    def runbook(self) -> str:
        return runbook_path(self.name)


@dataclass(frozen=True)
class AlarmChange:
    check: AlarmCheck
    status: str
    """``firing`` or ``resolved``."""


QUEUE_OVERLOAD = "queue-overload"
LOW_SUCCESS_RATE = "low-success-rate"
LOW_WORKER_COUNT = "low-worker-count"
PROVIDER_ERRORS = "provider-errors"
ALARM_NAMES = (QUEUE_OVERLOAD, LOW_SUCCESS_RATE, LOW_WORKER_COUNT, PROVIDER_ERRORS)


def runbook_path(name: str) -> str:
    return f"runbooks/{name}.md"


def _check(name: str, severity: Severity, value: float | None, threshold: float, above: bool, what: str) -> AlarmCheck:
    firing = value is not None and (value > threshold if above else value < threshold)
    shown = "n/a" if value is None else f"{value:g}"
    relation = ">" if above else "<"
    summary = f"{what} is {shown} ({relation} {threshold:g})" if firing else f"{what} is {shown}"
    return AlarmCheck(name, severity, firing, value, threshold, summary)


def evaluate(figures: OpsFigures, limits: AlarmThresholds) -> list[AlarmCheck]:
    """Every rule over one snapshot, in a stable order."""
    return [
        _check(QUEUE_OVERLOAD, Severity.CRITICAL, figures.queue_depth, limits.overload_at, True, "queue depth"),
        _check(LOW_SUCCESS_RATE, Severity.HIGH, figures.success_rate, limits.success_rate_floor, False, "success rate"),
        _check(LOW_WORKER_COUNT, Severity.HIGH, figures.live_workers, limits.min_workers, False, "live workers"),
        _check(
            PROVIDER_ERRORS,
            Severity.MEDIUM,
            figures.provider.error_ratio,
            limits.provider_error_ceiling,
            True,
            "provider error ratio",
        ),
    ]


def changes(previous: Mapping[str, bool], checks: Iterable[AlarmCheck]) -> list[AlarmChange]:
    """Alarms whose firing state differs from ``previous`` (an unknown alarm was not firing)."""
    return [
        AlarmChange(check, "firing" if check.firing else "resolved")
        for check in checks
        if check.firing != previous.get(check.name, False)
    ]


COLLAPSE_SUCCESS_RATE = 0.5
"""Below this success rate the queue is paused automatically: most work is failing, so running more only burns it."""
COLLAPSE_MIN_FINISHED = 20
"""Finished jobs (last hour) needed before a collapse is believed: a handful of failures is noise, not an outage."""


def collapsed(figures: OpsFigures) -> bool:
    """Whether the success rate has collapsed far enough, on enough jobs, for an emergency queue pause."""
    finished = figures.recent.completed + figures.recent.failed
    rate = figures.success_rate
    return finished >= COLLAPSE_MIN_FINISHED and rate is not None and rate < COLLAPSE_SUCCESS_RATE
