"""One more company for tests that need a second tenant on the Shopify simulator with a shop of its own."""

from __future__ import annotations

import os
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from control_plane.domain.principals import Tier
from control_plane.domain.providers import Provider
from control_plane.services.integrations import IntegrationService, NewIntegration
from control_plane.services.tenants import TenantService
from control_plane.settings import Settings
from tests.conftest import OPERATOR, Vendor, secret_box, simulator_account


async def shopify_company(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    sim: httpx.AsyncClient,
    *,
    slug: str,
    tier: Tier,
    shop: dict[str, Any],
) -> Vendor:
    """A company with one Shopify integration whose simulator shop is ``shop`` (forget it with ``sim.delete``)."""
    account = f"{slug}-{os.getpid()}"
    response = await sim.put(f"/_sim/accounts/shopify/{account}", json=shop)
    assert response.status_code < 300, response.text
    async with sessions() as session:
        tenants = TenantService(session, settings.auth.api_key_pepper.get_secret_value())
        company = await tenants.create_company(name=slug.title(), slug=f"{slug}-co", tier=tier)
        base_url, credential = simulator_account(settings, Provider.SHOPIFY, account)
        integration = await IntegrationService(session, actor=OPERATOR, secrets=secret_box(settings)).create(
            NewIntegration(
                provider=Provider.SHOPIFY,
                name=slug,
                credential=credential,
                account_settings={},
                base_url=base_url,
                company_id=company.id,
            )
        )
        await session.commit()
    return Vendor(company.id, integration.id, "", account)
