"""Companies and their API credentials."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.db.models import ApiCredential, Company
from control_plane.domain.principals import Role, Tier


class CompanyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, *, name: str, slug: str, tier: Tier) -> Company:
        company = Company(id=uuid.uuid4(), name=name, slug=slug, tier=tier)
        self._session.add(company)
        await self._session.flush()
        return company

    async def get(self, company_id: uuid.UUID) -> Company | None:
        return await self._session.get(Company, company_id)

    async def get_by_slug(self, slug: str) -> Company | None:
        result = await self._session.execute(sa.select(Company).where(Company.slug == slug))
        return result.scalar_one_or_none()


class CredentialRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self, *, company_id: uuid.UUID | None, name: str, role: Role, key_prefix: str, key_hash: str
    ) -> ApiCredential:
        credential = ApiCredential(
            id=uuid.uuid4(),
            company_id=company_id,
            name=name,
            role=role,
            key_prefix=key_prefix,
            key_hash=key_hash,
        )
        self._session.add(credential)
        await self._session.flush()
        return credential

    async def find_active(self, key_hash: str) -> ApiCredential | None:
        result = await self._session.execute(
            sa.select(ApiCredential).where(ApiCredential.key_hash == key_hash, ApiCredential.revoked_at.is_(None))
        )
        return result.scalar_one_or_none()

    async def touch(self, credential_id: uuid.UUID, at: datetime) -> None:
        """Record use, at most once a minute per key, to keep hot keys cheap."""
        await self._session.execute(
            sa.update(ApiCredential)
            .where(
                ApiCredential.id == credential_id,
                sa.or_(
                    ApiCredential.last_used_at.is_(None),
                    ApiCredential.last_used_at < at - timedelta(minutes=1),
                ),
            )
            .values(last_used_at=at)
        )
