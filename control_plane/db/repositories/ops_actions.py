"""Queries behind the operator controls: the audit trail and jobs selected by scope."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.db.models import ImportJob, OpsAction
from control_plane.domain.jobs import JobStatus
from control_plane.domain.providers import Provider


class OpsActionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(self, *, actor: str, action: str, scope: str | None, details: dict[str, Any]) -> OpsAction:
        row = OpsAction(actor=actor, action=action, scope=scope, details=details)
        self._session.add(row)
        await self._session.flush()
        return row

    async def actions(self, *, limit: int) -> Sequence[OpsAction]:
        query = sa.select(OpsAction).order_by(OpsAction.at.desc(), OpsAction.id.desc()).limit(limit)
        return (await self._session.execute(query)).scalars().all()

    async def job_ids(
        self,
        statuses: Sequence[JobStatus],
        *,
        company_id: uuid.UUID | None = None,
        provider: Provider | None = None,
        limit: int,
    ) -> list[uuid.UUID]:
        """Ids of jobs in ``statuses`` for a company and/or provider (all when neither), oldest first."""
        query = sa.select(ImportJob.id).where(ImportJob.status.in_(list(statuses)))
        if company_id is not None:
            query = query.where(ImportJob.company_id == company_id)
        if provider is not None:
            query = query.where(ImportJob.provider == provider)
        query = query.order_by(ImportJob.requested_at, ImportJob.id).limit(limit)
        return list((await self._session.execute(query)).scalars().all())

    async def count_waiting(self) -> int:
        """PENDING and QUEUED jobs: the queue depth as PostgreSQL sees it, when Redis cannot say."""
        query = sa.select(sa.func.count()).where(ImportJob.status.in_([JobStatus.PENDING, JobStatus.QUEUED]))
        return int((await self._session.execute(query)).scalar_one())
