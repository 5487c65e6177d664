"""The worker's check before claiming a job: does an operator pause hold it?

Read-only and cheap when nothing is paused (one Redis read, no query); the
job's company and provider are looked up only while some pause exists.  A
held job goes back to its company's line in the fair dispatcher, delayed, so
it holds no worker slot while paused.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from control_plane.db.models import ImportJob
from control_plane.db.repositories import JobRepository
from control_plane.domain.pausing import Pause, blocking
from control_plane.domain.queueing import queue_entry
from control_plane.integrations.redis_state.ops_state import RedisOpsState
from control_plane.services.ports import WorkQueue


async def _holding(
    sessions: async_sessionmaker[AsyncSession], state: RedisOpsState, job_id: uuid.UUID
) -> tuple[Pause, ImportJob] | None:
    pauses = await state.pauses()
    if not pauses:
        return None
    async with sessions() as session:
        job = await JobRepository(session).get(job_id, company_scope=None)
    if job is None:
        return None
    pause = blocking(pauses, job.company_id, job.provider)
    return (pause, job) if pause is not None else None


async def park_if_paused(
    sessions: async_sessionmaker[AsyncSession],
    state: RedisOpsState,
    queue: WorkQueue,
    job_id: uuid.UUID,
    recheck: timedelta,
) -> Pause | None:
    """If a pause holds the job, file it back in its line delayed by ``recheck`` and return the pause."""
    held = await _holding(sessions, state, job_id)
    if held is None:
        return None
    pause, job = held
    await queue.file(queue_entry(job), defer_by=recheck)
    return pause
