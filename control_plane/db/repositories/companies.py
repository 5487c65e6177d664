"""Companies and their API credentials."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
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

    async def many(self, ids: set[uuid.UUID]) -> Sequence[Company]:
        if not ids:
            return []
        return (await self._session.execute(sa.select(Company).where(Company.id.in_(ids)))).scalars().all()

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

    async def get(self, credential_id: uuid.UUID) -> ApiCredential | None:
        return await self._session.get(ApiCredential, credential_id)

    async def list(self, *, company_id: uuid.UUID | None, include_revoked: bool) -> Sequence[ApiCredential]:
        """Keys, oldest first; ``company_id`` narrows to one company's keys (None = every key)."""
        query = sa.select(ApiCredential).order_by(ApiCredential.created_at, ApiCredential.id)
        if company_id is not None:
            query = query.where(ApiCredential.company_id == company_id)
        if not include_revoked:
            query = query.where(ApiCredential.revoked_at.is_(None))
        return (await self._session.execute(query)).scalars().all()

    async def revoke(self, credential_id: uuid.UUID, at: datetime) -> ApiCredential | None:
        """Revoke a live key; None when it is unknown or already revoked (a second revoke changes nothing)."""
        result = await self._session.execute(
            sa.update(ApiCredential)
            .where(ApiCredential.id == credential_id, ApiCredential.revoked_at.is_(None))
            .values(revoked_at=at)
            .returning(ApiCredential)
            .execution_options(synchronize_session="fetch")
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
