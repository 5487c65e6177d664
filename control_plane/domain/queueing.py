"""What the work queue knows about a job, in terms the reconciler can judge without Redis.

PostgreSQL says what a job should be; these values say what the volatile queue
(the fair dispatcher's lines in front of arq, and arq itself) actually holds,
so "lost" is decided in one place.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum, StrEnum
from typing import Protocol

from control_plane.domain.principals import Tier


class FileOutcome(StrEnum):
    """What filing a job in its company's line found (the value is what job events record)."""

    REQUEUED = "requeued"
    """Some queue (a dispatcher line, or arq) still held the job; it was put back in line."""
    ENQUEUED = "enqueued"
    """No queue held it; it was written anew."""


class DispatchOutcome(IntEnum):
    """The answer of the dispatch script (its integer replies, mapped once where the script is called)."""

    DISPATCHED = 1
    """The line's head is on arq's queue, due now: one worker slot is filled."""
    ALREADY_IN_ARQ = 2
    """arq already held the job: it left the line and runs without filling a new slot."""
    HEAD_CHANGED = 0
    """The line's head changed under the pick (a cancel, a requeue): pick again."""
    LINE_EMPTY = -1
    """The line was empty; its company left the rotation."""


class FiledJob(Protocol):
    """What the dispatcher needs of a stored job to file it."""

    @property
    def id(self) -> uuid.UUID: ...

    @property
    def company_id(self) -> uuid.UUID: ...

    @property
    def tier(self) -> Tier: ...


@dataclass(frozen=True)
class QueueEntry:
    """What the dispatcher needs to file a job: its id, and the company and tier whose line it joins."""

    job_id: uuid.UUID
    company_id: uuid.UUID
    tier: Tier
    resumed: bool = False
    """Its worker died mid-run: it goes to the head of its line, ahead of jobs that have not started,
    so a crash costs the lease expiry, not a wait behind the whole backlog (Bull re-runs stalled jobs first)."""


@dataclass(frozen=True)
class Delivery:
    """How a job reached the worker that claims it, recorded on its ``started`` event.

    ``dispatched_at`` is when the feeder handed it to arq (arq's enqueue time), ``picked_at`` when arq
    gave it to a worker slot; with the claim's own time they split a slot's idle time (feeder, arq's
    polling, the claim) in the load report.
    """

    dispatched_at: datetime | None
    picked_at: datetime

    def as_data(self) -> dict[str, str]:
        moments = {"picked_at": self.picked_at.isoformat()}
        if self.dispatched_at is not None:
            moments["dispatched_at"] = self.dispatched_at.isoformat()
        return moments


@dataclass(frozen=True)
class QueueState:
    """One job as the queue sees it: in a dispatcher line, or arq's payload, place in line and worker marker."""

    job_key: bool
    in_queue: bool
    in_progress: bool
    in_dispatcher: bool = False
    """Waiting in the dispatcher: in its company's line (whose company is in its tier's rotation) or delayed."""

    @property
    def lost(self) -> bool:
        """No worker will ever pick the job up unless it is enqueued again.

        Judged for jobs PostgreSQL holds as waiting (PENDING/QUEUED, no lease) past the grace period:
        an arq in-progress marker on such a job belongs to a worker that lost Redis or died before
        claiming or after handing it back, and blocks it until the marker expires (job timeout + 10 s).
        Requeueing is safe even if a live worker has just picked it: the PostgreSQL claim admits one.
        """
        if self.in_progress:
            return True
        return not (self.in_dispatcher or (self.job_key and self.in_queue))

    def as_dict(self) -> dict[str, bool]:
        return {
            "job_key": self.job_key,
            "in_queue": self.in_queue,
            "in_progress": self.in_progress,
            "in_dispatcher": self.in_dispatcher,
        }


def queue_entry(job: FiledJob, *, resumed: bool = False) -> QueueEntry:
    """The job as the fair dispatcher files it: in its company's line (at its head if ``resumed``), in its tier's
    rotation."""
    return QueueEntry(job.id, job.company_id, job.tier, resumed)
