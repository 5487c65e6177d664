"""Slot utilisation while a backlog waited, its idle breakdown, and the timelines it is read from."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from control_plane.db.repositories.load_runs import EventRow
from loadtests.load.attempts import read_timelines
from loadtests.load.efficiency import judge_utilisation
from loadtests.load.report import Report
from loadtests.load.utilisation import Attempt, AttemptEnd, IdleCause, Slots, measure, merge, overlap

ONE_SLOT = Slots(workers=1, per_worker=1)
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def run(worker: str, started: float, ended: float, **moments: float) -> Attempt:
    return Attempt(worker, started, ended, AttemptEnd.TERMINAL, moments.get("dispatched"), moments.get("picked"))


def test_union_and_overlap_of_intervals() -> None:
    union = merge([(5, 7), (0, 2), (1, 3), (9, 9)])
    assert union == [(0, 3), (5, 7)]
    assert overlap(2, 6, union) == pytest.approx(2.0)
    assert overlap(7, 9, union) == 0.0


def test_saturated_slots_give_full_utilisation() -> None:
    """Two slots always busy while jobs waited: every start fills the slot the moment it frees."""
    slots = Slots(workers=1, per_worker=2)
    attempts = [run("w", t, t + 10) for t in (0, 10, 20)] + [run("w", t, t + 10) for t in (0, 10, 20)]
    waits = [(0.0, 10.0), (0.0, 20.0), (5.0, 20.0), (5.0, 10.0)]

    result = measure(attempts, waits, slots, (0.0, 30.0))

    assert result.value == pytest.approx(1.0)
    assert result.backlog_s == pytest.approx(20.0) and result.idle_slot_s == pytest.approx(0.0)


def test_slots_idle_while_jobs_waited_give_low_utilisation_and_a_failing_item() -> None:
    """One worker, 5 slots, one job at a time while four more waited the whole time."""
    slots = Slots(workers=1, per_worker=5)
    attempts = [run("w", t, t + 10) for t in (0, 10, 20, 30)]
    waits = [(0.0, 40.0)] * 4

    result = measure(attempts, waits, slots, (0.0, 40.0))

    assert result.value == pytest.approx(0.2)
    assert result.idle_slot_s == pytest.approx(160.0)
    assert result.starts_in_backlog == 3  # the one at 0 started before anything waited
    assert result.as_dict()["starts_per_minute_in_backlog"] == pytest.approx(4.5)
    # each start takes the slot free longest (since 0): 10 + 20 + 30 s of gaps, the rest free to the end
    assert result.idle_by_cause[IdleCause.NOT_SPLIT] == pytest.approx(60.0)
    assert result.idle_by_cause[IdleCause.NO_START_FOLLOWED] == pytest.approx(100.0)
    report = Report(name="t", run_id="r", started_at="now")
    judge_utilisation(report, result)
    assert report.items[0]["verdict"] == "fail" and report.items[0]["value"] == pytest.approx(0.2)


def test_a_saturated_run_passes_the_item() -> None:
    report = Report(name="t", run_id="r", started_at="now")
    judge_utilisation(report, measure([run("w", 0, 10)], [(0.0, 10.0)], ONE_SLOT, (0.0, 10.0)))
    assert report.items[0]["verdict"] == "pass"


def test_idle_gaps_are_split_at_the_recorded_moments() -> None:
    """Slot freed at 10, job handed to arq at 12, picked at 12.5, started at 13: feeder 2, arq 0.5, claim 0.5."""
    attempts = [run("w", 0, 10), run("w", 13, 20, dispatched=12, picked=12.5)]

    result = measure(attempts, [(0.0, 13.0)], ONE_SLOT, (0.0, 20.0))

    causes = result.idle_by_cause
    assert (causes[IdleCause.FEEDER], causes[IdleCause.ARQ_POLLING], causes[IdleCause.CLAIM]) == pytest.approx(
        (2.0, 0.5, 0.5)
    )
    assert causes[IdleCause.UNATTRIBUTED] == pytest.approx(0.0)
    assert result.value == pytest.approx(10 / 13)


def test_only_idle_time_inside_the_backlog_counts() -> None:
    """The slot is free 10-20, but a job waits only from 15: 5 idle slot-seconds, all in the feeder."""
    attempts = [run("w", 0, 10), run("w", 20, 30, dispatched=19.5, picked=20)]

    result = measure(attempts, [(0.0, 5.0), (15.0, 20.0)], ONE_SLOT, (0.0, 30.0))

    assert result.backlog_s == pytest.approx(10.0)
    assert result.idle_slot_s == pytest.approx(5.0)
    assert result.idle_by_cause[IdleCause.FEEDER] == pytest.approx(4.5)
    assert result.idle_by_cause[IdleCause.ARQ_POLLING] == pytest.approx(0.5)


def test_unrecorded_moments_and_silent_workers_are_named_not_guessed() -> None:
    attempts = [run("a", 0, 10), run("a", 12, 20)]

    result = measure(attempts, [(0.0, 20.0)], Slots(workers=2, per_worker=1), (0.0, 20.0))

    assert result.idle_by_cause[IdleCause.NOT_SPLIT] == pytest.approx(2.0)
    assert result.idle_by_cause[IdleCause.WORKERS_WITHOUT_ATTEMPTS] == pytest.approx(20.0)
    assert result.idle_by_cause[IdleCause.FEEDER] == 0.0
    assert result.value == pytest.approx(18 / 40)


def test_requeued_attempts_count_as_busy_and_are_reported_apart() -> None:
    handed_back = Attempt("w", 0, 4, AttemptEnd.REQUEUED)
    result = measure([handed_back, run("w", 4, 10)], [(0.0, 10.0)], ONE_SLOT, (0.0, 10.0))
    assert result.value == pytest.approx(1.0)
    assert result.requeued_busy_slot_s == pytest.approx(4.0)


def test_no_backlog_is_not_judged() -> None:
    report = Report(name="t", run_id="r", started_at="now")
    result = measure([run("w", 0, 10)], [], ONE_SLOT, (0.0, 10.0))
    assert result.value is None
    judge_utilisation(report, result)
    assert report.items == [] and "slot utilisation" in report.extra["not_judged"][0]


def event(job: uuid.UUID, at_s: float, kind: str, to: str | None, frm: str | None = None, **data: Any) -> EventRow:
    return EventRow(job, T0 + timedelta(seconds=at_s), kind, "w1" if to == "RUNNING" else "api", frm, to, data)


def test_timelines_hold_every_attempt_and_wait() -> None:
    job, other = uuid.UUID(int=1), uuid.UUID(int=2)
    picked = (T0 + timedelta(seconds=1.5)).isoformat()
    events = [
        event(job, 0, "created", "PENDING"),
        event(job, 0.1, "queued", "QUEUED", "PENDING"),
        event(job, 2, "started", "RUNNING", dispatched_at=(T0 + timedelta(seconds=1)).isoformat(), picked_at=picked),
        event(job, 5, "retry_scheduled", "QUEUED", "RUNNING", delay_s=3),
        event(job, 9, "started", "RUNNING"),
        event(job, 12, "completed", "COMPLETED", "RUNNING"),
        event(other, 1, "created", "PENDING"),
        event(other, 1.1, "queued", "QUEUED", "PENDING", defer_s=10),
    ]

    timelines = read_timelines(events, until=T0.timestamp() + 20)

    base = T0.timestamp()
    spans = [(a.started - base, a.ended - base, a.end) for a in timelines.attempts]
    assert spans == [(2, 5, AttemptEnd.REQUEUED), (9, 12, AttemptEnd.TERMINAL)]
    assert timelines.attempts[0].dispatched == pytest.approx(base + 1)
    assert timelines.attempts[1].dispatched is None
    waits = sorted((round(a - base, 1), round(b - base, 1)) for a, b in timelines.waits)
    assert waits == [(0.0, 2.0), (8.0, 9.0), (11.1, 20.0)]


def test_a_utilisation_just_short_of_its_target_never_reads_as_the_target() -> None:
    """0.89997 is a fail; shown rounded half-up it would read 0.9 beside its target of 0.9."""
    report = Report(name="r", run_id="r", started_at="t")
    busy = 0.9 * 10 - 0.0003  # one slot busy 8.9997 s of a 10 s backlog
    judge_utilisation(report, measure([run("w", 0, busy)], [(0.0, 10.0)], ONE_SLOT, (0.0, 10.0)))
    item = report.items[0]
    assert item["verdict"] == "fail" and item["value"] == 0.899
