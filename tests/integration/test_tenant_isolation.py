"""Tenant isolation in the data layer: two companies, every resource, scoped reads and writes.

Company A (acme) and company B (beans) each get a job with events, products with
the *same* external ids, images, a mapping and an integration. Every query
scoped to B must miss A's rows, and every write scoped to B must leave them as they were.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from control_plane.db.models import ImportJob, Product, ProductImage
from control_plane.db.repositories import IntegrationRepository, JobRepository, MappingRepository
from control_plane.db.repositories.catalog import CatalogRepository, StoredImage
from control_plane.db.repositories.jobs import JobFilter
from control_plane.db.repositories.ops_history import JobSearch, OpsHistoryRepository
from control_plane.db.repositories.quotas import QuotaRepository
from control_plane.domain.jobs import JobStatus
from control_plane.domain.principals import Tier
from control_plane.domain.providers import Provider
from tests.conftest import Tenants, Vendor

EXTERNAL_IDS = ("p-1", "p-2")
"""Both companies import products with these ids: the (company, provider, external id) key keeps them apart."""


@dataclass(frozen=True)
class Seeded:
    company: uuid.UUID
    integration: uuid.UUID
    job: uuid.UUID
    products: dict[str, uuid.UUID]
    images: list[uuid.UUID]


def _product_row(external_id: str, title: str, integration: uuid.UUID, job: uuid.UUID) -> dict[str, Any]:
    empty: dict[str, Any] = dict.fromkeys(("description", "vendor", "product_type", "status", "price", "currency"))
    return {
        **empty,
        "external_id": external_id,
        "title": title,
        "sku": None,
        "tags": [],
        "variants": [],
        "options": [],
        "raw": {},
        "source_updated_at": None,
        "integration_id": integration,
        "last_import_job_id": job,
    }


async def _seed(session: AsyncSession, vendor: Vendor, label: str) -> Seeded:
    jobs, catalog = JobRepository(session), CatalogRepository(session)
    job = await jobs.add(
        ImportJob(
            company_id=vendor.company_id,
            integration_id=vendor.integration_id,
            provider=Provider.SHOPIFY,
            tier=Tier.PRO,
            status=JobStatus.PENDING,
            correlation_id=f"corr-{label}",
            idempotency_key="same-key",
        )
    )
    await jobs.add_event(job.id, kind="created", actor=label, to_status=JobStatus.PENDING)
    rows = [_product_row(e, f"{label} {e}", vendor.integration_id, job.id) for e in EXTERNAL_IDS]
    await catalog.upsert_products(company_id=vendor.company_id, provider=Provider.SHOPIFY, rows=rows)
    ids = await catalog.product_ids(company_id=vendor.company_id, provider=Provider.SHOPIFY, external_ids=EXTERNAL_IDS)
    wanted = [(ids[e], f"https://img.example/{e}.jpg", 1) for e in EXTERNAL_IDS]
    pending = await catalog.images_to_process(company_id=vendor.company_id, wanted=wanted)
    await catalog.add_storage(vendor.company_id, bytes_added=1000, objects_added=2)
    await MappingRepository(session).upsert(
        vendor.company_id, Provider.SHOPIFY, [{"target": "title", "default": label}]
    )
    return Seeded(vendor.company_id, vendor.integration_id, job.id, ids, [image.id for image in pending])


@pytest.fixture
async def pair(tenants: Tenants, sessions: async_sessionmaker[AsyncSession]) -> tuple[Seeded, Seeded]:
    async with sessions() as session:
        a, b = await _seed(session, tenants.acme, "A"), await _seed(session, tenants.beans, "B")
        await session.commit()
    return a, b


@pytest.fixture
async def session(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with sessions() as opened:
        yield opened


async def test_jobs_scoped_to_b_never_return_a(pair: tuple[Seeded, Seeded], session: AsyncSession) -> None:
    a, b = pair
    jobs = JobRepository(session)
    assert await jobs.get(a.job, company_scope=b.company) is None
    assert await jobs.get_for_update(a.job, company_scope=b.company) is None
    assert (await jobs.get(a.job, company_scope=a.company)) is not None
    assert [j.id for j in await jobs.list(JobFilter(company_scope=b.company), after=None, limit=50)] == [b.job]
    assert await jobs.list(JobFilter(company_scope=b.company, company_id=a.company), after=None, limit=50) == []
    replay = await jobs.get_by_idempotency_key(b.company, "same-key")
    assert replay is not None and replay.id == b.job
    assert {j.id for j in await jobs.list(JobFilter(company_scope=None), after=None, limit=50)} == {a.job, b.job}


async def test_events_scoped_to_b_never_return_a_timeline(pair: tuple[Seeded, Seeded], session: AsyncSession) -> None:
    a, b = pair
    jobs = JobRepository(session)
    assert await jobs.events(a.job, company_scope=b.company) == []
    assert [e.actor for e in await jobs.events(a.job, company_scope=a.company)] == ["A"]
    assert [e.actor for e in await jobs.events(b.job, company_scope=b.company)] == ["B"]


async def test_integrations_scoped_to_b_never_return_a(pair: tuple[Seeded, Seeded], session: AsyncSession) -> None:
    a, b = pair
    repo = IntegrationRepository(session)
    assert await repo.get(a.integration, company_scope=b.company) is None
    assert [i.id for i in await repo.list(company_scope=b.company)] == [b.integration]
    first = await repo.first_for_company(b.company)
    assert first is not None and first.id == b.integration
    assert await QuotaRepository(session).integration_company(a.integration, company_scope=b.company) is None


async def test_mappings_of_b_are_b_only_and_saving_b_leaves_a(
    pair: tuple[Seeded, Seeded], session: AsyncSession
) -> None:
    a, b = pair
    repo = MappingRepository(session)
    await repo.upsert(b.company, Provider.SHOPIFY, [{"target": "title", "default": "B2"}])
    mine, theirs = await repo.get(b.company, Provider.SHOPIFY), await repo.get(a.company, Provider.SHOPIFY)
    assert mine is not None and mine.version == 2 and mine.rules == [{"target": "title", "default": "B2"}]
    assert theirs is not None and theirs.version == 1 and theirs.rules == [{"target": "title", "default": "A"}]


async def test_products_of_b_never_reach_or_overwrite_a(pair: tuple[Seeded, Seeded], session: AsyncSession) -> None:
    a, b = pair
    catalog = CatalogRepository(session)
    ids = await catalog.product_ids(company_id=b.company, provider=Provider.SHOPIFY, external_ids=EXTERNAL_IDS)
    assert ids == b.products and not set(ids.values()) & set(a.products.values())
    rows = [_product_row(e, "overwritten by B", b.integration, b.job) for e in EXTERNAL_IDS]
    await catalog.upsert_products(company_id=b.company, provider=Provider.SHOPIFY, rows=rows)
    titles = await session.execute(sa.select(Product.company_id, Product.title).order_by(Product.title))
    assert sorted(titles.all()) == sorted(
        [(a.company, "A p-1"), (a.company, "A p-2"), (b.company, "overwritten by B"), (b.company, "overwritten by B")]
    )
    assert {title for title, *_ in await catalog.sample(b.company, 10)} == {"overwritten by B"}


async def test_images_of_b_never_reach_or_touch_a(pair: tuple[Seeded, Seeded], session: AsyncSession) -> None:
    a, b = pair
    catalog = CatalogRepository(session)
    stored = [StoredImage(i, f"k/{i}", f"t/{i}", 1, 1, 10, "image/jpeg") for i in a.images]
    await catalog.mark_stored(stored, company_id=b.company)
    await catalog.mark_failed([(i, "B's failure") for i in a.images], company_id=b.company)
    statuses = await session.execute(sa.select(ProductImage.status).where(ProductImage.id.in_(a.images)))
    assert set(statuses.scalars().all()) == {"pending"}, "a write scoped to B changed A's images"
    wanted = [(pid, "https://img.example/new.jpg", 2) for pid in a.products.values()]
    with pytest.raises(ValueError, match="not this company's"):
        await catalog.images_to_process(company_id=b.company, wanted=wanted)
    await session.rollback()
    again = [(b.products[e], f"https://img.example/{e}.jpg", 1) for e in EXTERNAL_IDS]
    pending = await catalog.images_to_process(company_id=b.company, wanted=again)
    assert {p.id for p in pending} == set(b.images)
    assert await QuotaRepository(session).stored_bytes(b.company) == 1000


async def test_operations_reads_scoped_to_b_never_return_a(pair: tuple[Seeded, Seeded], session: AsyncSession) -> None:
    a, b = pair
    repo = OpsHistoryRepository(session)
    assert [job.id for job, _ in await repo.search_jobs(JobSearch(b.company), 50)] == [b.job]
    assert await repo.search_jobs(JobSearch(b.company, company_id=a.company), 50) == []
    assert [c.id for c in await repo.companies(company_scope=b.company, limit=50)] == [b.company]


async def test_through_the_api_b_sees_none_of_a(
    client: AsyncTestClient,  # type: ignore[type-arg]
    tenants: Tenants,
    pair: tuple[Seeded, Seeded],
) -> None:
    a, b = pair
    beans = tenants.beans.auth
    jobs = (await client.get("/api/v1/imports", params={"limit": 200}, headers=beans)).json()["items"]
    assert [job["id"] for job in jobs] == [str(b.job)]
    for path in (
        f"/api/v1/imports/{a.job}",
        f"/api/v1/imports/{a.job}/events",
        f"/api/v1/integrations/{a.integration}",
    ):
        assert (await client.get(path, headers=beans)).status_code == 404, path
    integrations = (await client.get("/api/v1/integrations", headers=beans)).json()["items"]
    assert [item["id"] for item in integrations] == [str(b.integration)]
    mapping = await client.get("/api/v1/mappings/shopify", params={"company_id": str(a.company)}, headers=beans)
    assert mapping.status_code == 404
    own = (await client.get("/api/v1/mappings/shopify", headers=beans)).json()
    assert own["company_id"] == str(b.company) and own["rules"] == [{"target": "title", "default": "B"}]
    assert (await client.get("/api/v1/ops/jobs/search", headers=beans)).status_code == 403
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    assert not [p for p in paths if "product" in p or "image" in p], "products and images have no API surface yet"
