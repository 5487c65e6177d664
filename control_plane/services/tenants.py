"""Onboarding: companies and their API keys."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.db.models import Company
from control_plane.db.repositories import CompanyRepository
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

    async def issue_key(self, *, company: Company | None, role: Role, name: str) -> IssuedKey:
        if role is Role.VENDOR and company is None:
            raise InvalidRequest("a vendor key belongs to a company", field="company")
        if role is not Role.VENDOR and company is not None:
            raise InvalidRequest(f"{role.value} keys see every company; give no company", field="company")
        return await issue_api_key(
            self.session, pepper=self.pepper, company_id=company.id if company else None, role=role, name=name
        )
