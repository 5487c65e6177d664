"""Announcing a job's status moves once they are committed, whichever edge commits them.

Every status move is recorded on the job's timeline (:meth:`JobRepository.add_event`
with a ``to_status``), which notes the job in its session; the session's commit then
hands the moved job ids to the announcer (a publish in Redis, see
``control_plane.integrations.redis_state.job_changes``), after the transaction ended.
A rollback forgets them.  The announcer must not raise: long-poll waiters that miss
an announcement re-read the job when their wait ends, so nothing depends on it.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

Announce = Callable[[frozenset[uuid.UUID]], Awaitable[None]]
"""Told the ids of jobs whose status moves were just committed; logs its own failures."""

_MOVED_KEY = "icp_moved_jobs"


def note_moved(session: AsyncSession, job_id: uuid.UUID) -> None:
    """Remember that this transaction moves ``job_id``'s status, to announce it after the commit."""
    session.info.setdefault(_MOVED_KEY, set()).add(job_id)


def _take_moved(session: AsyncSession) -> frozenset[uuid.UUID]:
    return frozenset(session.info.pop(_MOVED_KEY, ()))


class AnnouncingSession(AsyncSession):
    """An ``AsyncSession`` that announces the jobs a commit moved (savepoint rollbacks may over-announce)."""

    def __init__(self, *args: Any, announce: Announce | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._announce = announce

    async def commit(self) -> None:
        await super().commit()
        moved = _take_moved(self)
        if moved and self._announce is not None:
            await self._announce(moved)

    async def rollback(self) -> None:
        _take_moved(self)
        await super().rollback()

    async def close(self) -> None:
        _take_moved(self)
        await super().close()
