"""Waiting for a job (long-poll): when the wait is over, and how long a caller may wait.

A caller names the status it last saw (``leave``) and is answered once the job is no
longer in it, or, naming none, once the job is terminal; or when its wait ends.
"""

from __future__ import annotations

from dataclasses import dataclass

from control_plane.domain.errors import InvalidRequest
from control_plane.domain.jobs import TERMINAL_STATUSES, JobStatus

MAX_JOB_WAIT_S = 60
"""The longest a request may wait: under the usual 60-120 s idle timeouts of proxies and load balancers."""


@dataclass(frozen=True)
class JobWait:
    seconds: int
    """0 answers at once."""
    leave: JobStatus | None = None
    """Answer once the job is no longer in this status; None: once it is terminal."""

    def __post_init__(self) -> None:
        if not 0 <= self.seconds <= MAX_JOB_WAIT_S:
            raise InvalidRequest(f"wait must be between 0 and {MAX_JOB_WAIT_S} seconds", field="wait")

    def is_over(self, status: JobStatus) -> bool:
        """The job in ``status`` is what the caller waits for."""
        if self.leave is not None:
            return status != self.leave
        return status in TERMINAL_STATUSES
