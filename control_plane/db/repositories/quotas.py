"""What a company holds right now, for its caps: active imports and stored bytes."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.db.models import ImportJob, Integration, StorageUsage
from control_plane.domain.jobs import JobStatus

ACTIVE = (JobStatus.PENDING, JobStatus.QUEUED, JobStatus.RUNNING)


class QuotaRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def integration_company(
        self, integration_id: uuid.UUID, *, company_scope: uuid.UUID | None
    ) -> uuid.UUID | None:
        query = sa.select(Integration.company_id).where(Integration.id == integration_id)
        if company_scope is not None:
            query = query.where(Integration.company_id == company_scope)
        return await self._session.scalar(query)

    async def active_imports(self, company_id: uuid.UUID) -> int:
        query = sa.select(sa.func.count()).where(ImportJob.company_id == company_id, ImportJob.status.in_(ACTIVE))
        return int(await self._session.scalar(query) or 0)

    async def stored_bytes(self, company_id: uuid.UUID) -> int:
        query = sa.select(StorageUsage.bytes_stored).where(StorageUsage.company_id == company_id)
        return int(await self._session.scalar(query) or 0)
