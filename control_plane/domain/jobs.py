"""The import job state machine: which transitions exist and who may make them.

PostgreSQL is the authority for a job's state; every writer goes through
:func:`ensure_transition` so an illegal move is refused in one place.
"""

from __future__ import annotations

from enum import StrEnum

from control_plane.domain.errors import InvalidTransition

IMPORT_TASK_NAME = "run_import"
"""The arq function name workers register; the API enqueues by this name only."""


class JobStatus(StrEnum):
    PENDING = "PENDING"
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


TERMINAL_STATUSES: frozenset[JobStatus] = frozenset({JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED})

_ALLOWED: dict[JobStatus, frozenset[JobStatus]] = {
    # Enqueued, or cancelled before it ever reached the queue.
    JobStatus.PENDING: frozenset({JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.CANCELLED}),
    # Claimed by a worker, or cancelled while waiting.
    JobStatus.QUEUED: frozenset({JobStatus.RUNNING, JobStatus.PENDING, JobStatus.CANCELLED}),
    # Finished, or handed back to the queue (retry, lost lease, graceful drain).
    JobStatus.RUNNING: frozenset(
        {
            JobStatus.COMPLETED,
            JobStatus.FAILED,
            JobStatus.CANCELLED,
            JobStatus.QUEUED,
            JobStatus.PENDING,
        }
    ),
    JobStatus.COMPLETED: frozenset(),
    # An operator or vendor retry puts a dead job back at the start.
    JobStatus.FAILED: frozenset({JobStatus.PENDING}),
    JobStatus.CANCELLED: frozenset({JobStatus.PENDING}),
}


def can_transition(current: JobStatus, target: JobStatus) -> bool:
    return target in _ALLOWED[current]


def ensure_transition(current: JobStatus, target: JobStatus) -> None:
    """Raise :class:`InvalidTransition` unless ``current → target`` is allowed."""
    if not can_transition(current, target):
        raise InvalidTransition(current.value, target.value)


def is_cancellable(status: JobStatus) -> bool:
    return status not in TERMINAL_STATUSES


def is_retryable(status: JobStatus) -> bool:
    return status in (JobStatus.FAILED, JobStatus.CANCELLED)
