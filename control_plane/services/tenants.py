"""Onboarding: companies and their API keys (issued, listed, revoked and rotated by operators)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.db.models import ApiCredential, Company
from control_plane.db.repositories import CompanyRepository, CredentialRepository
from control_plane.domain.errors import Conflict, InvalidRequest, NotFound
from control_plane.domain.principals import Role, Tier
from control_plane.services.credentials import IssuedKey, issue_api_key

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,98}[a-z0-9]$")


@dataclass(frozen=True)
class TenantService:
    session: AsyncSession
    pepper: str

    async def create_company(self, *, name: str, slug: str, tier: Tier) -> Company:
        if not SLUG.match(slug):
            raise InvalidRequest("slug must be 3-100 lowercase letters, digits or dashes", field="slug")
        repo = CompanyRepository(self.session)
        if await repo.get_by_slug(slug) is not None:
            raise Conflict(f"a company with slug {slug!r} exists", field="slug")
        return await repo.add(name=name, slug=slug, tier=tier)

    async def company(self, slug: str) -> Company:
        company = await CompanyRepository(self.session).get_by_slug(slug)
        if company is None:
            raise NotFound(f"no company with slug {slug!r}", field="company")
        return company

    async def companies(self, ids: set[uuid.UUID]) -> Sequence[Company]:
        return await CompanyRepository(self.session).many(ids)

    async def issue_key(self, *, company: Company | None, role: Role, name: str) -> IssuedKey:
        if role is Role.VENDOR and company is None:
            raise InvalidRequest("a vendor key belongs to a company", field="company")
        if role is not Role.VENDOR and company is not None:
            raise InvalidRequest(f"{role.value} keys see every company; give no company", field="company")
        return await issue_api_key(
            self.session, pepper=self.pepper, company_id=company.id if company else None, role=role, name=name
        )

    async def list_keys(self, *, company: Company | None, include_revoked: bool = False) -> Sequence[ApiCredential]:
        return await CredentialRepository(self.session).list(
            company_id=company.id if company else None, include_revoked=include_revoked
        )

    async def revoke_key(self, credential_id: uuid.UUID) -> ApiCredential:
        """Refused from the next request on: authentication only accepts keys without ``revoked_at``."""
        repo = CredentialRepository(self.session)
        revoked = await repo.revoke(credential_id, datetime.now(UTC))
        if revoked is not None:
            return revoked
        if await repo.get(credential_id) is None:
            raise NotFound("no API key with this id", field="key_id")
        raise Conflict("this API key is already revoked", field="key_id")

    async def rotate_key(self, credential_id: uuid.UUID) -> IssuedKey:
        """A new key for the same company, role and name; the old one is revoked at once, in the same transaction."""
        old = await self.revoke_key(credential_id)
        company = await CompanyRepository(self.session).get(old.company_id) if old.company_id else None
        return await self.issue_key(company=company, role=old.role, name=old.name)
