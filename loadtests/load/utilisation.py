"""Slot utilisation while a backlog waited, and where the idle slot time went.

Definitions (times in seconds, clipped to the run's window):

- an *attempt* occupies one slot of its worker from its ``started`` event to the event that took the job
  out of RUNNING (completed, failed, cancelled, retry scheduled, handed back, lease expired), or to the
  window's end if it is still running; every attempt counts, including the ones that did not end the job;
- a job *waits* from the moment it became due (requested, queued, or queued again after a retry or a
  hand-back, plus any deferral the event records) until its next attempt starts (or it is cancelled);
- the *backlog window* B is the union of the moments when at least one job waited;
- *busy slot-seconds* are the integral over B of the busy slots (capped at all slots), and
  ``utilisation = busy / (slots x |B|)``: 1.0 means no slot was ever free while a job waited.

The idle slot time in B is split per worker: each start fills the slot that was freed longest ago, and the
gap from that slot's freeing to the start is cut at the start's recorded moments: *feeder* (freed ->
handed to arq: the feeder's tick, its lock, the job-start limit), *arq polling* (handed to arq -> picked by a
worker), *claim* (picked -> the ``started`` event: pause check and the claim transaction). Gaps whose start
has no recorded moments are *not split*; slots still free at the window's end are *no start followed*;
slots of workers that started no attempt at all are *workers without attempts*. Whatever the per-worker gaps
do not cover (a worker running more attempts than its slots) is left *unattributed*, never spread.
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

Interval = tuple[float, float]
_INSTANT = 1e-6
"""A start ends its own wait, so it counts as in the backlog when the instant before it is."""


class AttemptEnd(StrEnum):
    TERMINAL = "terminal"
    """The attempt ended the job (completed, failed, cancelled)."""
    REQUEUED = "requeued"
    """Retry scheduled, handed back, or its lease expired: the job waits again."""
    OPEN = "open"
    """Still running when the window closed."""


class IdleCause(StrEnum):
    FEEDER = "feeder"
    ARQ_POLLING = "arq_polling"
    CLAIM = "claim"
    NOT_SPLIT = "not_split"
    NO_START_FOLLOWED = "no_start_followed"
    WORKERS_WITHOUT_ATTEMPTS = "workers_without_attempts"
    UNATTRIBUTED = "unattributed"


@dataclass(frozen=True)
class Attempt:
    worker: str
    started: float
    ended: float
    end: AttemptEnd
    dispatched: float | None = None
    """When the feeder handed the job to arq (None: not recorded)."""
    picked: float | None = None
    """When arq gave the job to the worker (None: not recorded)."""


@dataclass(frozen=True)
class Slots:
    workers: int
    per_worker: int

    @property
    def total(self) -> int:
        return self.workers * self.per_worker


@dataclass(frozen=True)
class Utilisation:
    slots: int
    backlog_s: float
    busy_slot_s: float
    idle_slot_s: float
    requeued_busy_slot_s: float
    """Busy slot-seconds (in B) of attempts that did not end their job: handed back, retried, lease lost."""
    idle_by_cause: dict[IdleCause, float]
    starts_in_backlog: int = 0
    """Attempts started inside B: as a rate, set beside the job-start limit it tells whether the limit bound."""

    @property
    def value(self) -> float | None:
        capacity = self.slots * self.backlog_s
        return self.busy_slot_s / capacity if capacity > 0 else None

    def as_dict(self) -> dict[str, object]:
        value = self.value
        return {
            "utilisation": None if value is None else math.floor(value * 1000) / 1000,
            "slots": self.slots,
            "backlog_window_s": round(self.backlog_s, 1),
            "busy_slot_s": round(self.busy_slot_s, 1),
            "idle_slot_s": round(self.idle_slot_s, 1),
            "busy_on_requeued_attempts_slot_s": round(self.requeued_busy_slot_s, 1),
            "idle_slot_s_by_cause": {cause.value: round(s, 1) for cause, s in self.idle_by_cause.items()},
            "starts_per_minute_in_backlog": round(self.starts_in_backlog / self.backlog_s * 60, 1)
            if self.backlog_s
            else None,
            "not_measured": "job-start-limit waits are inside 'feeder' (the limit's refusals are not recorded per job;"
            " compare starts_per_minute_in_backlog with the configured job_starts_per_minute)",
        }


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Union of intervals as sorted, disjoint, non-empty intervals."""
    merged: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def overlap(start: float, end: float, union: Sequence[Interval]) -> float:
    """Length of [start, end) inside a merged union (sorted, disjoint)."""
    total = 0.0
    index = max(0, bisect_right(union, (start, float("inf"))) - 1)
    while index < len(union) and union[index][0] < end:
        a, b = union[index]
        total += max(0.0, min(end, b) - max(start, a))
        index += 1
    return total


def measure(attempts: Sequence[Attempt], waits: Sequence[Interval], slots: Slots, window: Interval) -> Utilisation:
    clip = _clipper(window)
    backlog = merge(clip(w) for w in waits)
    spans = [clip((a.started, a.ended)) for a in attempts]
    busy = _busy_in(spans, backlog, slots.total)
    backlog_s = sum(b - a for a, b in backlog)
    idle = slots.total * backlog_s - busy
    requeued = sum(
        overlap(*span, backlog) for span, a in zip(spans, attempts, strict=True) if a.end is AttemptEnd.REQUEUED
    )
    causes = _idle_causes(attempts, slots, window, backlog)
    seen = len({a.worker for a in attempts})
    causes[IdleCause.WORKERS_WITHOUT_ATTEMPTS] = max(0, slots.workers - seen) * slots.per_worker * backlog_s
    causes[IdleCause.UNATTRIBUTED] = idle - sum(causes.values())
    starts = sum(1 for a in attempts if overlap(a.started - _INSTANT, a.started, backlog) > 0)
    return Utilisation(slots.total, backlog_s, busy, idle, requeued, causes, starts)


def _clipper(window: Interval) -> Callable[[Interval], Interval]:
    low, high = window

    def clip(interval: Interval) -> Interval:
        return max(interval[0], low), min(interval[1], high)

    return clip


def _busy_in(spans: Sequence[Interval], backlog: Sequence[Interval], cap: int) -> float:
    """Integral over the backlog of the attempts running at once, at most ``cap``."""
    changes = sorted([(s, 1) for s, e in spans if e > s] + [(e, -1) for s, e in spans if e > s])
    total, level, previous = 0.0, 0, None
    for moment, step in changes:
        if previous is not None and level > 0:
            total += min(level, cap) * overlap(previous, moment, backlog)
        level += step
        previous = moment
    return total


def _idle_causes(
    attempts: Sequence[Attempt], slots: Slots, window: Interval, backlog: Sequence[Interval]
) -> dict[IdleCause, float]:
    causes: dict[IdleCause, float] = defaultdict(float)
    by_worker: dict[str, list[Attempt]] = defaultdict(list)
    for attempt in attempts:
        by_worker[attempt.worker].append(attempt)
    for runs in by_worker.values():
        for cause, piece in _worker_gaps(runs, slots.per_worker, window):
            causes[cause] += overlap(*piece, backlog)
    return {cause: causes.get(cause, 0.0) for cause in IdleCause}


def _worker_gaps(runs: Sequence[Attempt], per_worker: int, window: Interval) -> list[tuple[IdleCause, Interval]]:
    """One worker's free-slot gaps, each cut at the moments its filling start recorded."""
    low, high = window
    free = [low] * per_worker  # when each free slot became free (a heap: longest free first)
    heapq.heapify(free)
    events = sorted([(a.ended, 0, i) for i, a in enumerate(runs)] + [(a.started, 1, i) for i, a in enumerate(runs)])
    pieces: list[tuple[IdleCause, Interval]] = []
    over = 0  # attempts running beyond the worker's slots (an old lease still running): they free no slot
    for moment, is_start, index in events:
        if is_start and free:
            pieces += _split(heapq.heappop(free), runs[index])
        elif is_start:
            over += 1
        elif over:
            over -= 1
        else:
            heapq.heappush(free, min(max(moment, low), high))
    pieces += [(IdleCause.NO_START_FOLLOWED, (since, high)) for since in free]
    return pieces


def _split(freed: float, attempt: Attempt) -> list[tuple[IdleCause, Interval]]:
    start = attempt.started
    if attempt.dispatched is None or attempt.picked is None:
        return [(IdleCause.NOT_SPLIT, (freed, start))]
    dispatched = min(max(attempt.dispatched, freed), start)
    picked = min(max(attempt.picked, dispatched), start)
    return [
        (IdleCause.FEEDER, (freed, dispatched)),
        (IdleCause.ARQ_POLLING, (dispatched, picked)),
        (IdleCause.CLAIM, (picked, start)),
    ]
