"""Create the run's vendors: a company, vendor key, Shopify integration and simulator shop per planned job.

Each vendor has its own shop, so every job imports a catalog of exactly its
planned size, and the accounting knows which products and images each
integration must end up with.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.domain.principals import Principal, Role
from control_plane.domain.providers import Provider
from control_plane.integrations.secrets import SecretBox
from control_plane.services.integrations import IntegrationService, NewIntegration
from control_plane.services.tenants import TenantService
from harness.load_accounting import ExpectedCatalog
from harness.settings import HarnessSettings, LoadSettings
from loadtests.load.plan import PlannedJob
from loadtests.load.workload import JobSpec
from loadtests.simulator.catalog import Catalog, CatalogSpec
from loadtests.simulator.config import AccountConfig
from loadtests.simulator.shopify_shapes import product_id

HARNESS = Principal(subject="load-harness", role=Role.OPERATOR, company_id=None)
SIM_CONCURRENCY = 20


@dataclass(frozen=True)
class Vendors:
    jobs: list[PlannedJob]
    operator_key: str
    catalogs: dict[uuid.UUID, ExpectedCatalog]


def shop_config(spec: JobSpec, load: LoadSettings) -> dict[str, Any]:
    return {
        "products": spec.products,
        "images_min": load.images_min,
        "images_max": load.images_max,
        "image_width": load.image_px,
        "image_height": load.image_px,
        "plan": load.shop_plan,
    }


def expected_catalog(settings: HarnessSettings, spec: JobSpec, load: LoadSettings) -> ExpectedCatalog:
    """What the simulator serves for this shop: generated locally from the same seed and configuration."""
    config = AccountConfig(**shop_config(spec, load))
    catalog = Catalog(CatalogSpec.of(settings.simulator.seed, Provider.SHOPIFY.value, spec.shop, config))
    images = {str(product_id(i)): len(catalog.product(i).images) for i in range(catalog.size)}
    return ExpectedCatalog(images)


async def create_vendors(
    session: AsyncSession, settings: HarnessSettings, load: LoadSettings, specs: list[JobSpec]
) -> Vendors:
    """Companies, keys and integrations in the job store (the caller commits)."""
    tenants = TenantService(session, settings.auth.api_key_pepper.get_secret_value())
    secrets = SecretBox(settings.provider.secrets_key.get_secret_value())
    integrations = IntegrationService(session, actor=HARNESS, secrets=secrets)
    jobs, catalogs = [], {}
    for spec in specs:
        company = await tenants.create_company(name=f"Load vendor {spec.index}", slug=spec.shop, tier=spec.tier)
        integration = await integrations.create(
            NewIntegration(
                provider=Provider.SHOPIFY,
                name=spec.shop,
                credential=f"shpat_sim_{spec.shop}",
                account_settings={"shop": spec.shop},
                base_url=f"{settings.simulator.shopify_base}/shopify/{spec.shop}",
                company_id=company.id,
            )
        )
        key = await tenants.issue_key(company=company, role=Role.VENDOR, name="load vendor")
        jobs.append(
            PlannedJob(
                spec.index,
                spec.tier.value,
                spec.products,
                spec.shop,
                key.key,
                str(integration.id),
                spec.idempotency_key,
            )
        )
        catalogs[integration.id] = expected_catalog(settings, spec, load)
    operator = await tenants.issue_key(company=None, role=Role.OPERATOR, name="load harness")
    return Vendors(jobs, operator.key, catalogs)


async def configure_shops(settings: HarnessSettings, specs: list[JobSpec], load: LoadSettings) -> None:
    """PUT every shop's catalog on the simulator (through its admin API)."""
    gate = asyncio.Semaphore(SIM_CONCURRENCY)
    async with httpx.AsyncClient(base_url=settings.simulator.shopify_base, timeout=30) as http:

        async def put(spec: JobSpec) -> None:
            async with gate:
                response = await http.put(f"/_sim/accounts/shopify/{spec.shop}", json=shop_config(spec, load))
                response.raise_for_status()

        await asyncio.gather(*(put(spec) for spec in specs))
