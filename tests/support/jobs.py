"""Polling helpers for job tests: wait with a deadline, never a fixed sleep."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from control_plane.db.models import ImportJob, JobEvent

T = TypeVar("T")


async def poll(check: Callable[[], Awaitable[T | None]], *, timeout_s: float, every_s: float = 0.2, what: str) -> T:
    """Call ``check`` until it returns something other than None or False; fail at the deadline."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        result = await check()
        if result is not None and result is not False:
            return result
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")
        await asyncio.sleep(every_s)


async def job_row(sessions: async_sessionmaker[AsyncSession], job_id: uuid.UUID) -> ImportJob:
    async with sessions() as session:
        job = await session.get(ImportJob, job_id)
        assert job is not None
        return job


async def wait_for_status(
    sessions: async_sessionmaker[AsyncSession], job_id: uuid.UUID, *statuses: str, timeout_s: float = 60
) -> ImportJob:
    async def check() -> ImportJob | None:
        job = await job_row(sessions, job_id)
        return job if job.status.value in statuses else None

    return await poll(check, timeout_s=timeout_s, what=f"job {job_id} to reach {statuses}")


async def event_kinds(sessions: async_sessionmaker[AsyncSession], job_id: uuid.UUID) -> list[str]:
    async with sessions() as session:
        rows = await session.execute(sa.select(JobEvent.kind).where(JobEvent.job_id == job_id).order_by(JobEvent.id))
        return list(rows.scalars())
