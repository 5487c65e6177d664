"""What the work queue knows about a job, in terms the reconciler can judge without Redis.

PostgreSQL says what a job should be; these values say what the volatile queue
actually holds, so "lost" is decided in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

RequeueOutcome = Literal["requeued", "enqueued"]
"""``requeued``: the queue still held the job and it was put back in line; ``enqueued``: it was written anew."""


@dataclass(frozen=True)
class QueueState:
    """One job as the queue sees it: its payload, its place in line, a worker's in-progress marker."""

    job_key: bool
    in_queue: bool
    in_progress: bool

    @property
    def lost(self) -> bool:
        """No worker will ever pick the job up unless it is enqueued again."""
        return not (self.job_key and self.in_queue)

    def as_dict(self) -> dict[str, bool]:
        return {"job_key": self.job_key, "in_queue": self.in_queue, "in_progress": self.in_progress}
