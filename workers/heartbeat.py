"""Renew a running job's lease in the background and notice cancels and lost leases."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable
from types import TracebackType

import structlog
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from control_plane.services.execution import JobExecution

log = structlog.get_logger("workers.heartbeat")


class Heartbeat:
    """While active, renews the lease every ``interval_s`` in its own short transaction."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        execution: Callable[[AsyncSession], JobExecution],
        job_id: uuid.UUID,
        interval_s: float,
    ) -> None:
        self._sessions = sessions
        self._execution = execution
        self._job_id = job_id
        self._interval_s = interval_s
        self._task: asyncio.Task[None] | None = None
        self.lost = False
        self.cancel_requested = False

    async def __aenter__(self) -> Heartbeat:
        self._task = asyncio.create_task(self._beat(), name=f"heartbeat:{self._job_id}")
        return self

    async def __aexit__(
        self, _type: type[BaseException] | None, _exc: BaseException | None, _tb: TracebackType | None
    ) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _beat(self) -> None:
        while not self.lost:
            await asyncio.sleep(self._interval_s)
            try:
                async with self._sessions() as session:
                    state = await self._execution(session).renew(self._job_id)
                    await session.commit()
            except (SQLAlchemyError, OSError) as exc:  # the lease may lapse; the next beat tries again
                log.warning("heartbeat.failed", jobId=str(self._job_id), error=type(exc).__name__)
                continue
            self.lost = not state.held
            self.cancel_requested = state.cancel_requested
