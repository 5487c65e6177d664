"""Figures over time derived from the vendors' outcomes: exact in-flight count, completions, latency."""

from __future__ import annotations

import math
from collections.abc import Sequence

from loadtests.load.plan import Outcome


def in_flight_curve(outcomes: Sequence[Outcome], origin: float) -> list[tuple[float, int]]:
    """(seconds since origin, jobs accepted and not yet terminal) at every submit and terminal moment."""
    changes: list[tuple[float, int]] = []
    for outcome in outcomes:
        if outcome.job_id is None:
            continue
        changes.append((outcome.submitted_at - origin, 1))
        if outcome.terminal_at is not None:
            changes.append((outcome.terminal_at - origin, -1))
    curve, level = [(0.0, 0)], 0
    for moment, step in sorted(changes, key=lambda change: (change[0], change[1])):
        level += step
        curve.append((moment, level))
    return curve


def stored_in_flight_peak(spans: Sequence[tuple[float, float | None]]) -> int:
    """Most jobs at once between their request and their end (job store times; None: never ended)."""
    changes = [(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans if end is not None]
    level = top = 0
    for _, step in sorted(changes):
        level += step
        top = max(top, level)
    return top


def peak(curve: Sequence[tuple[float, int]]) -> int:
    return max((level for _, level in curve), default=0)


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def latencies(outcomes: Sequence[Outcome], *, small_only: bool, small_limit: int = 100) -> list[float]:
    return [
        o.terminal_at - o.submitted_at
        for o in outcomes
        if o.terminal_at is not None and (not small_only or o.products < small_limit)
    ]


def per_bucket(outcomes: Sequence[Outcome], origin: float, bucket_s: float) -> list[tuple[float, int, int]]:
    """(bucket start, completed, not completed) of the outcomes that ended in each bucket."""
    buckets: dict[int, list[int]] = {}
    for outcome in outcomes:
        if outcome.terminal_at is None:
            continue
        slot = int((outcome.terminal_at - origin) // bucket_s)
        counts = buckets.setdefault(slot, [0, 0])
        counts[0 if outcome.status == "COMPLETED" else 1] += 1
    return [(slot * bucket_s, ok, bad) for slot, (ok, bad) in sorted(buckets.items())]
