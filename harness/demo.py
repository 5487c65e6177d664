"""Demo tenants: two vendors on different providers and tiers, created once."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.db.repositories import CompanyRepository, CredentialRepository, IntegrationRepository
from control_plane.domain.principals import Role, Tier
from control_plane.domain.providers import Provider
from control_plane.services.credentials import hash_api_key
from control_plane.services.integrations import IntegrationService, NewIntegration
from control_plane.services.tenants import TenantService
from harness.settings import SimulatorSettings


@dataclass(frozen=True)
class DemoVendor:
    slug: str
    name: str
    tier: Tier
    provider: Provider

    def connection(self, simulator: SimulatorSettings) -> tuple[str, str]:
        """Base URL and credential of this vendor's account on the provider simulator."""
        if self.provider is Provider.SHOPIFY:
            return f"{simulator.shopify_base}/shopify/{self.slug}", f"shpat_sim_{self.slug}"
        return f"{simulator.roastify_base}/roastify/{self.slug}", f"rk_sim_{self.slug}"


DEMO_VENDORS = (
    DemoVendor("acme-coffee", "Acme Coffee", Tier.PRO, Provider.SHOPIFY),
    DemoVendor("bean-box", "Bean Box", Tier.BASIC, Provider.ROASTIFY),
)


@dataclass(frozen=True)
class SeededVendor:
    slug: str
    company_id: uuid.UUID
    integration_id: uuid.UUID


async def ensure_demo_vendors(
    session: AsyncSession, pepper: str, integrations: IntegrationService, simulator: SimulatorSettings
) -> list[SeededVendor]:
    """Create the demo companies, each with a simulator-backed integration, unless they exist."""
    tenants = TenantService(session, pepper)
    seeded: list[SeededVendor] = []
    for vendor in DEMO_VENDORS:
        company = await CompanyRepository(session).get_by_slug(vendor.slug)
        if company is None:
            company = await tenants.create_company(name=vendor.name, slug=vendor.slug, tier=vendor.tier)
        base_url, credential = vendor.connection(simulator)
        existing = await IntegrationRepository(session).list(company_scope=company.id)
        integration = next((i for i in existing if i.base_url == base_url and i.secret_ciphertext), None)
        if integration is None:
            integration = await integrations.create(
                NewIntegration(
                    provider=vendor.provider,
                    name=f"{vendor.name} {vendor.provider.value}",
                    credential=credential,
                    account_settings={"shop": vendor.slug} if vendor.provider is Provider.SHOPIFY else {},
                    base_url=base_url,
                    company_id=company.id,
                )
            )
        seeded.append(SeededVendor(vendor.slug, company.id, integration.id))
    return seeded


async def key_is_valid(session: AsyncSession, key: str, pepper: str) -> bool:
    return await CredentialRepository(session).find_active(hash_api_key(key, pepper)) is not None


async def issue_demo_keys(session: AsyncSession, pepper: str, vendors: list[SeededVendor]) -> dict[str, str]:
    """One operator key and one vendor key per demo company."""
    tenants = TenantService(session, pepper)
    keys = {"operator": (await tenants.issue_key(company=None, role=Role.OPERATOR, name="demo operator")).key}
    for vendor in vendors:
        company = await tenants.company(vendor.slug)
        keys[vendor.slug] = (await tenants.issue_key(company=company, role=Role.VENDOR, name="demo vendor")).key
    return keys
