"""The worker's check before claiming a job: does an operator pause hold it?

Read-only and cheap when nothing is paused (one Redis read, no query); the
job's company and provider are looked up only while some pause exists.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from control_plane.db.repositories import JobRepository
from control_plane.domain.pausing import Pause, blocking
from control_plane.integrations.redis_state.ops_state import RedisOpsState


async def pause_holding(
    sessions: async_sessionmaker[AsyncSession], state: RedisOpsState, job_id: uuid.UUID
) -> Pause | None:
    """The pause that holds this job, or None (also when the job is unknown: the claim decides then)."""
    pauses = await state.pauses()
    if not pauses:
        return None
    async with sessions() as session:
        job = await JobRepository(session).get(job_id, company_scope=None)
    if job is None:
        return None
    return blocking(pauses, job.company_id, job.provider)
