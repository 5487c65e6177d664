"""Shopify imports through real workers: one mapping, the same data over REST and GraphQL; bulk first loads.

REST is the reference path: the GraphQL client must store exactly what a REST import of the same shop
stores (every product, variant and image field), for products whose variants and media do not fit in
one page (follow-up queries) and within Shopify's documented cost limit.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from control_plane.db.models import Integration
from control_plane.domain.principals import Role, Tier
from control_plane.domain.providers import Provider
from control_plane.services.integrations import IntegrationService, NewIntegration
from control_plane.services.tenants import TenantService
from control_plane.settings import Settings
from loadtests.bench.catalog_parity import catalog_of, differences
from tests.conftest import OPERATOR, Vendor, secret_box, simulator_account
from tests.integration.conftest import Rig, submit
from tests.support.jobs import wait_for_status

CATALOG = {"products": 30, "plan": "plus", "variants_min": 1, "variants_max": 100, "images_min": 0, "images_max": 8}
"""Up to 100 variants (REST's limit a product) and 8 images: more than a first GraphQL page nests."""


async def _use_rest(sessions: async_sessionmaker[AsyncSession], integration_id: uuid.UUID) -> None:
    async with sessions() as session:
        await session.execute(
            sa.update(Integration).where(Integration.id == integration_id).values(account_settings={"api": "rest"})
        )
        await session.commit()


async def _graphql_twin(rig: Rig, settings: Settings) -> Vendor:
    """A second company whose GraphQL integration reads acme's shop."""
    account = rig.tenants.acme.account
    async with rig.sessions() as session:
        tenants = TenantService(session, settings.auth.api_key_pepper.get_secret_value())
        company = await tenants.create_company(name="Twin", slug=f"twin-{uuid.uuid4().hex[:6]}", tier=Tier.PRO)
        base_url, credential = simulator_account(settings, Provider.SHOPIFY, account)
        integration = await IntegrationService(session, actor=OPERATOR, secrets=secret_box(settings)).create(
            NewIntegration(
                provider=Provider.SHOPIFY,
                name="twin",
                credential=credential,
                account_settings={"api": "graphql"},
                base_url=base_url,
                company_id=company.id,
            )
        )
        key = await tenants.issue_key(company=company, role=Role.VENDOR, name="twin")
        await session.commit()
    return Vendor(company.id, integration.id, key.key, account)


async def _completed(rig: Rig, job_id: uuid.UUID) -> Any:
    job = await wait_for_status(rig.sessions, job_id, "COMPLETED", "FAILED", timeout_s=240)
    assert job.status.value == "COMPLETED", job.last_error
    return job


async def _stats(sim: httpx.AsyncClient, account: str) -> dict[str, Any]:
    response = await sim.get(f"/_sim/stats/shopify/{account}")
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_graphql_and_rest_imports_of_one_shop_store_the_same_catalog(
    rig: Rig, settings: Settings, sim: httpx.AsyncClient
) -> None:
    await rig.shop(**CATALOG)
    await _use_rest(rig.sessions, rig.tenants.acme.integration_id)
    twin = await _graphql_twin(rig, settings)
    rig.start_workers(1)
    rest_job = await _completed(rig, await rig.submit())
    graphql_job = await _completed(rig, await submit(rig.client, twin))
    async with rig.sessions() as session:
        rest = await catalog_of(session, rig.tenants.acme.company_id)
        graphql = await catalog_of(session, twin.company_id)
    assert len(rest) == 30 and rest_job.products_processed == graphql_job.products_processed == 30
    assert any(len(product["variants"]) > 64 for product in rest.values()), "no product needed a follow-up"
    assert differences(rest, graphql) == []
    stats = await _stats(sim, rig.tenants.acme.account)
    assert stats["graphql_outcomes"].get("max_cost_exceeded", 0) == 0, stats
    assert stats["graphql_max_requested_cost"] <= 1000, stats


async def test_a_large_first_load_goes_through_a_bulk_operation(rig: Rig, sim: httpx.AsyncClient) -> None:
    await rig.shop(products=120, plan="plus", variants_max=4, images_max=1)
    rig.start_workers(1, ICP_PROVIDER_SHOPIFY_BULK_MIN_PRODUCTS="100", ICP_PROVIDER_SHOPIFY_BULK_POLL_S="0.2")
    job = await _completed(rig, await rig.submit())
    assert job.products_processed == 120
    assert (await _stats(sim, rig.tenants.acme.account))["bulk_operations"]["started"] == 1
    capped = await _completed(rig, await rig.submit(max_products=10))  # a capped import never asks for one
    assert capped.products_processed == 10
    assert (await _stats(sim, rig.tenants.acme.account))["bulk_operations"]["started"] == 1


async def test_a_mapping_preview_at_its_largest_limit_works_over_graphql(rig: Rig) -> None:
    await rig.shop(products=40, plan="standard", variants_min=50, variants_max=100, images_min=10, images_max=25)
    path = f"/api/v1/integrations/{rig.tenants.acme.integration_id}/mapping-preview"
    response = await rig.client.post(path, json={"limit": 20}, headers=rig.tenants.acme.auth)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert len(items) == 20 and all(item["errors"] == [] for item in items)
