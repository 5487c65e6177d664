"""Time buckets for figures over time: how a window is cut, kept small enough to chart."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

MAX_BUCKETS = 120
MIN_STEP_S = 10


def bucket_starts(since: datetime, until: datetime, step_s: int | None) -> tuple[list[datetime], int]:
    """Bucket starts covering [since, until) and the step; the step grows so at most MAX_BUCKETS are cut."""
    span_s = max((until - since).total_seconds(), float(MIN_STEP_S))
    step = max(step_s or 0, MIN_STEP_S, math.ceil(span_s / MAX_BUCKETS))
    count = math.ceil(span_s / step)
    first = until - timedelta(seconds=step * count)
    return [first + timedelta(seconds=step * i) for i in range(count)], step


def success_rate(completed: int, failed: int) -> float | None:
    """Completed over finished; None when nothing finished (no evidence either way)."""
    finished = completed + failed
    return completed / finished if finished else None
