"""Each company's field mapping per provider: one row, versioned on every save."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.db.models import FieldMapping
from control_plane.domain.providers import Provider


class MappingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, company_id: uuid.UUID, provider: Provider) -> FieldMapping | None:
        result = await self._session.execute(
            sa.select(FieldMapping).where(FieldMapping.company_id == company_id, FieldMapping.provider == provider)
        )
        return result.scalar_one_or_none()

    async def upsert(self, company_id: uuid.UUID, provider: Provider, rules: list[dict[str, Any]]) -> FieldMapping:
        """Insert version 1, or replace the rules and bump the version, in one statement (no lost update)."""
        new = insert(FieldMapping).values(
            id=uuid.uuid4(), company_id=company_id, provider=provider, rules=rules, version=1
        )
        statement = new.on_conflict_do_update(
            index_elements=[FieldMapping.company_id, FieldMapping.provider],
            set_={"rules": new.excluded.rules, "version": FieldMapping.version + 1, "updated_at": sa.func.now()},
        ).returning(FieldMapping)
        result = await self._session.execute(statement, execution_options={"populate_existing": True})
        return result.scalar_one()
