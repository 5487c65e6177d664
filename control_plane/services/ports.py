"""What the services need from the outside, as protocols (adapters live in integrations)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.domain.backpressure import Decision
from control_plane.domain.principals import Tier
from control_plane.domain.providers import Provider
from control_plane.domain.queueing import FileOutcome, QueueEntry, QueueState


class WorkQueue(Protocol):
    """The work queue along submit → file → dispatch → run: services file jobs; the feeder dispatches them."""

    async def file(self, entry: QueueEntry, *, defer_by: timedelta | None = None) -> FileOutcome:
        """Put the job in its company's line (or delayed) whatever state the queue left it in."""
        ...

    async def queue_state(self, job_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, QueueState]:
        """What the queue holds for each job, read in one round trip."""
        ...

    async def arq_entries_older_than(self, age_s: float, *, limit: int) -> list[uuid.UUID]:
        """Job ids on the executor's queue since longer than ``age_s``: running, or left behind."""
        ...

    async def discard_from_arq(self, job_id: uuid.UUID) -> None:
        """Drop what the executor's queue still holds of a finished job."""
        ...

    async def ping(self) -> None: ...


class Admitter(Protocol):
    async def admit(self, client: Tier, company_id: uuid.UUID, provider: Provider) -> Decision:
        """Decide whether a new job of this company may be stored, and whether it is enqueued now."""
        ...


class JobWatch(Protocol):
    async def changed(self, timeout_s: float) -> bool:
        """Wait until the job is announced as moved (True) or ``timeout_s`` passes (False)."""
        ...


class JobChanges(Protocol):
    """Announcements of committed status moves (hints only: a waiter re-reads the job either way)."""

    def watch(self, job_id: uuid.UUID) -> AbstractAsyncContextManager[JobWatch]: ...


class ReleasableSession(Protocol):
    """A caller's database session that can hand its pooled connection back while the caller waits."""

    async def session(self) -> AsyncSession:
        """The open session, checking a connection out again if it was released."""
        ...

    async def close(self) -> None:
        """Roll back and return the connection to the pool; the next :meth:`session` opens a new one."""
        ...
