"""Attempts and waiting intervals of a run, read off the jobs' timelines (job_events).

An attempt opens at an event into RUNNING (``started``: its actor is the worker) and closes at the next
event out of RUNNING. A wait opens when the job becomes due: an event into PENDING or QUEUED, later by the
deferral it records (``defer_s`` of an admission deferral, ``delay_s`` of a retry); it closes when an
attempt starts, the job reaches a terminal state, or it is held (an operator pause: not waiting for a slot).
Open attempts and waits end at ``until``.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from control_plane.db.repositories.load_runs import EventRow
from control_plane.domain.jobs import TERMINAL_STATUSES, JobStatus
from loadtests.load.utilisation import Attempt, AttemptEnd, Interval

RUNNING = JobStatus.RUNNING.value
WAITING = frozenset({JobStatus.PENDING.value, JobStatus.QUEUED.value})
TERMINAL = frozenset(status.value for status in TERMINAL_STATUSES)
HELD_KIND = "held"


@dataclass(frozen=True)
class Timelines:
    attempts: list[Attempt]
    waits: list[Interval]


@dataclass
class _Open:
    """One job's open attempt and open wait while its events are replayed."""

    attempt: EventRow | None = None
    waiting_since: float | None = None


def read_timelines(events: Sequence[EventRow], until: float) -> Timelines:
    """Every job's attempts and waits (``events`` ordered by job, then time)."""
    result = Timelines([], [])
    for _, rows in itertools.groupby(events, key=lambda row: row.job_id):
        state = _Open()
        for row in rows:
            _replay(row, state, result)
        if state.attempt is not None:
            result.attempts.append(_attempt(state.attempt, until, AttemptEnd.OPEN))
        if state.waiting_since is not None and state.waiting_since < until:
            result.waits.append((state.waiting_since, until))
    return result


def _replay(row: EventRow, state: _Open, result: Timelines) -> None:
    at = row.at.timestamp()
    if row.to_status == RUNNING:
        _close_wait(state, at, result)
        state.attempt = row
        return
    if row.from_status == RUNNING and state.attempt is not None:
        end = AttemptEnd.TERMINAL if row.to_status in TERMINAL else AttemptEnd.REQUEUED
        result.attempts.append(_attempt(state.attempt, at, end))
        state.attempt = None
    if row.to_status in TERMINAL or row.kind == HELD_KIND:
        _close_wait(state, at, result)
    elif row.to_status in WAITING:
        due = at + _delay_s(row.data)  # a deferral moves an open wait's start later; a plain move keeps it
        if state.waiting_since is None or due > at:
            state.waiting_since = max(due, state.waiting_since or due)


def _close_wait(state: _Open, at: float, result: Timelines) -> None:
    if state.waiting_since is not None and at > state.waiting_since:
        result.waits.append((state.waiting_since, at))
    state.waiting_since = None


def _delay_s(data: dict[str, Any]) -> float:
    for key in ("defer_s", "delay_s"):
        value = data.get(key)
        if isinstance(value, int | float):
            return float(value)
    return 0.0


def _attempt(started: EventRow, ended: float, end: AttemptEnd) -> Attempt:
    return Attempt(
        worker=started.actor,
        started=started.at.timestamp(),
        ended=ended,
        end=end,
        dispatched=_moment(started.data.get("dispatched_at")),
        picked=_moment(started.data.get("picked_at")),
    )


def _moment(value: object) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value).timestamp()
    except ValueError:
        return None
