"""A company's provider integrations."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.db.models import Integration
from control_plane.domain.providers import Provider


class IntegrationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self,
        *,
        company_id: uuid.UUID,
        provider: Provider,
        name: str,
        base_url: str,
        account_settings: dict[str, Any] | None = None,
    ) -> Integration:
        integration = Integration(
            id=uuid.uuid4(),
            company_id=company_id,
            provider=provider,
            name=name,
            base_url=base_url,
            account_settings=account_settings or {},
        )
        self._session.add(integration)
        await self._session.flush()
        return integration

    async def get(self, integration_id: uuid.UUID, *, company_scope: uuid.UUID | None) -> Integration | None:
        """The integration, if it exists and the scope (None = any company) may see it."""
        query = sa.select(Integration).where(Integration.id == integration_id)
        if company_scope is not None:
            query = query.where(Integration.company_id == company_scope)
        result = await self._session.execute(query)
        return result.scalar_one_or_none()

    async def first_for_company(self, company_id: uuid.UUID) -> Integration | None:
        result = await self._session.execute(
            sa.select(Integration)
            .where(Integration.company_id == company_id)
            .order_by(Integration.created_at, Integration.id)
            .limit(1)
        )
        return result.scalar_one_or_none()

    async def list(self, *, company_scope: uuid.UUID | None) -> Sequence[Integration]:
        query = sa.select(Integration).order_by(Integration.created_at, Integration.id)
        if company_scope is not None:
            query = query.where(Integration.company_id == company_scope)
        result = await self._session.execute(query)
        return result.scalars().all()
