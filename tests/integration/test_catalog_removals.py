"""The removal statements on the real PostgreSQL: what a full import saw survives its attempts."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from control_plane.db.models import ImportJob, Product
from control_plane.db.repositories.catalog_removals import CatalogRemovalRepository, RemovalCounts
from control_plane.domain.jobs import JobStatus
from control_plane.domain.principals import Tier
from control_plane.domain.providers import Provider
from tests.conftest import Tenants

Sessions = async_sessionmaker[AsyncSession]


async def _catalog(sessions: Sessions, tenants: Tenants, count: int) -> uuid.UUID:
    """``count`` products p0… of acme's integration, and a running full import of it."""
    job_id = uuid.uuid4()
    acme = tenants.acme
    async with sessions() as session:
        session.add_all(
            Product(
                company_id=acme.company_id,
                provider=Provider.SHOPIFY,
                integration_id=acme.integration_id,
                external_id=f"p{i}",
                title=f"p{i}",
            )
            for i in range(count)
        )
        session.add(
            ImportJob(
                id=job_id,
                company_id=acme.company_id,
                integration_id=acme.integration_id,
                provider=Provider.SHOPIFY,
                tier=Tier.PRO,
                status=JobStatus.RUNNING,
                correlation_id="full",
            )
        )
        await session.commit()
    return job_id


async def _settle(sessions: Sessions, tenants: Tenants, job_id: uuid.UUID) -> RemovalCounts:
    async with sessions() as session:
        counts = await CatalogRemovalRepository(session).settle_full_import(
            job_id=job_id,
            company_id=tenants.acme.company_id,
            integration_id=tenants.acme.integration_id,
            provider=Provider.SHOPIFY,
        )
        await session.commit()
    return counts


async def _removed(sessions: Sessions) -> list[str]:
    async with sessions() as session:
        rows = await session.execute(sa.select(Product.external_id).where(Product.removed_at.is_not(None)))
        return sorted(rows.scalars())


async def test_a_resumed_full_import_still_knows_the_pages_its_first_attempt_saw(
    sessions: Sessions, tenants: Tenants
) -> None:
    job_id = await _catalog(sessions, tenants, 6)
    async with sessions() as session:  # first attempt: one page, committed, then the worker died
        await CatalogRemovalRepository(session).record_seen(job_id, ["p0", "p1"])
        await session.commit()
    async with sessions() as session:  # the resumed attempt goes on from the checkpoint
        await CatalogRemovalRepository(session).record_seen(job_id, ["p2", "p3"])
        await session.commit()
    assert await _settle(sessions, tenants, job_id) == RemovalCounts(products_removed=2, images_removed=0)
    assert await _removed(sessions) == ["p4", "p5"]


async def test_settling_again_changes_nothing_and_a_product_seen_again_is_restored(
    sessions: Sessions, tenants: Tenants
) -> None:
    first = await _catalog(sessions, tenants, 3)
    async with sessions() as session:
        await CatalogRemovalRepository(session).record_seen(first, ["p0"])
        await session.commit()
    assert (await _settle(sessions, tenants, first)).products_removed == 2
    assert (await _settle(sessions, tenants, first)).products_removed == 0, "already removed ones stay as they are"
    async with sessions() as session:
        await CatalogRemovalRepository(session).record_seen(first, ["p1"])
        await session.commit()
    assert (await _settle(sessions, tenants, first)).products_removed == 0
    assert await _removed(sessions) == ["p2"]
