"""The arithmetic behind the figures: CPU per unit, ratios against a baseline, latency percentiles.

Kept apart from the measuring code so each rule is written once and can be
checked without a stack.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def per_unit(total: float, units: int) -> float | None:
    """``total`` spread over ``units`` (CPU seconds per product, per image…); None when nothing was done."""
    return total / units if units > 0 else None


def cpu_ratio(measured_cpu_s: float, measured_units: int, baseline_cpu_s: float, baseline_units: int) -> float | None:
    """Measured CPU per unit over the baseline's CPU per unit: 1.0 costs what the baseline costs, 2.0 twice."""
    measured, baseline = per_unit(measured_cpu_s, measured_units), per_unit(baseline_cpu_s, baseline_units)
    if measured is None or not baseline:
        return None
    return measured / baseline


def rate_ratio(measured_per_s: float, baseline_per_s: float) -> float | None:
    """Measured throughput over the baseline's: 1.0 as fast, 0.5 half as fast."""
    return measured_per_s / baseline_per_s if baseline_per_s > 0 else None


def at_most(ratio: float | None, goal: float) -> bool | None:
    """Whether a cost ratio meets a ceiling goal (None: nothing to judge)."""
    return None if ratio is None else ratio <= goal


def at_least(ratio: float | None, goal: float) -> bool | None:
    """Whether a throughput ratio meets a floor goal (None: nothing to judge)."""
    return None if ratio is None else ratio >= goal


def percentile(values: Sequence[float], share: float) -> float | None:
    """Nearest-rank percentile (``share`` in (0, 1]): the smallest value at least ``share`` of the values reach."""
    if not values:
        return None
    if not 0 < share <= 1:
        raise ValueError(f"share must be in (0, 1], not {share}")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def spread(total: int, parts: int) -> list[int]:
    """``total`` split over ``parts`` as evenly as whole numbers allow (the first ones take the remainder)."""
    if parts < 1:
        raise ValueError("at least one part")
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]
