"""Image rows that go leave garbage keys; the sweep deletes an object only when no row references it.

Real PostgreSQL and SeaweedFS (through toxiproxy); the grace is a setting, so
the tests sweep with a grace of 0 (everything due) or an hour (nothing due)
instead of waiting on a clock.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from control_plane.db.models import (
    ImportJob,
    ImportSeenProduct,
    Product,
    ProductImage,
    StorageGarbage,
    StorageUsage,
)
from control_plane.db.repositories.catalog import CatalogRepository
from control_plane.db.repositories.catalog_removals import CatalogRemovalRepository, GarbageClaim
from control_plane.domain.jobs import JobStatus
from control_plane.domain.principals import Tier
from control_plane.domain.providers import Provider
from control_plane.integrations.images import S3ImageStore
from control_plane.settings import Settings
from tests.conftest import Tenants
from workers.reconciliation_tasks import sweep_unreferenced

Sessions = async_sessionmaker[AsyncSession]


async def _product(session: AsyncSession, company_id: uuid.UUID, external_id: str) -> uuid.UUID:
    product = Product(company_id=company_id, provider=Provider.SHOPIFY, external_id=external_id, title=external_id)
    session.add(product)
    await session.flush()
    return product.id


async def _stored_image(
    session: AsyncSession,
    store: S3ImageStore,
    product_id: uuid.UUID,
    company_id: uuid.UUID,
    url: str,
    key: str,
    position: int = 1,
) -> None:
    """An image row as an import leaves it: original and thumbnail in S3, both charged to the company."""
    await store.put(key, b"original:" + key.encode(), "image/jpeg")
    await store.put(f"{key}.thumb", b"thumb:" + key.encode(), "image/jpeg")
    session.add(
        ProductImage(
            product_id=product_id,
            company_id=company_id,
            source_url=url,
            position=position,
            s3_key=key,
            thumbnail_key=f"{key}.thumb",
            bytes=len(b"original:" + key.encode()),
            thumbnail_bytes=len(b"thumb:" + key.encode()),
            status="stored",
        )
    )
    await CatalogRepository(session).add_storage(
        company_id, bytes_added=len(b"original:" + key.encode()) + len(b"thumb:" + key.encode()), objects_added=2
    )


async def _usage(sessions: Sessions, company_id: uuid.UUID) -> tuple[int, int]:
    async with sessions() as session:
        row = (await session.execute(sa.select(StorageUsage).where(StorageUsage.company_id == company_id))).scalar_one()
        return row.bytes_stored, row.objects_stored


@pytest.fixture
async def shared(tenants: Tenants, sessions: Sessions, store: S3ImageStore) -> dict[str, Any]:
    """Two products of acme: p1 lists images a and s, p2 lists s too (the same bytes, so the same key)."""
    company = tenants.acme.company_id
    run = uuid.uuid4().hex
    keys = {"a": f"originals/test-{run}-a", "s": f"originals/test-{run}-s"}
    async with sessions() as session:
        p1 = await _product(session, company, "p1")
        p2 = await _product(session, company, "p2")
        await _stored_image(session, store, p1, company, "https://img.example/a.jpg", keys["a"])
        await _stored_image(session, store, p1, company, "https://img.example/s.jpg", keys["s"], 2)
        await _stored_image(session, store, p2, company, "https://img.example/s2.jpg", keys["s"])
        await session.commit()
    return {"company": company, "p1": p1, "p2": p2, "keys": keys}


async def _drop_p1_images(sessions: Sessions, shared: dict[str, Any]) -> int:
    """p1's provider no longer lists any image."""
    async with sessions() as session:
        removed = await CatalogRemovalRepository(session).replace_image_sets(
            company_id=shared["company"], products=[shared["p1"]], listed=[]
        )
        await session.commit()
    return removed


def _charge(key: str) -> int:
    return len(b"original:" + key.encode()) + len(b"thumb:" + key.encode())


async def test_an_unlisted_image_row_goes_and_its_keys_are_noted_with_their_bytes(
    sessions: Sessions, shared: dict[str, Any]
) -> None:
    assert await _drop_p1_images(sessions, shared) == 2
    async with sessions() as session:
        garbage = (await session.execute(sa.select(StorageGarbage.key, StorageGarbage.bytes))).all()
        left = (await session.execute(sa.select(ProductImage.product_id))).scalars().all()
    keys = shared["keys"]
    assert sorted(garbage) == sorted(
        [
            (keys["a"], len(b"original:" + keys["a"].encode())),
            (f"{keys['a']}.thumb", len(b"thumb:" + keys["a"].encode())),
            (keys["s"], len(b"original:" + keys["s"].encode())),
            (f"{keys['s']}.thumb", len(b"thumb:" + keys["s"].encode())),
        ]
    )
    assert left == [shared["p2"]]


async def test_the_sweep_waits_for_the_grace(
    settings: Settings, sessions: Sessions, store: S3ImageStore, shared: dict[str, Any]
) -> None:
    await _drop_p1_images(sessions, shared)
    before = await _usage(sessions, shared["company"])
    report = await sweep_unreferenced(sessions, store, grace_s=3600)
    assert report == {"released": 0, "deleted": 0}
    assert await store.exists(shared["keys"]["a"])
    assert await _usage(sessions, shared["company"]) == before


async def test_the_sweep_deletes_only_unreferenced_objects_and_gives_every_removed_rows_bytes_back(
    settings: Settings, sessions: Sessions, store: S3ImageStore, shared: dict[str, Any]
) -> None:
    keys = shared["keys"]
    await _drop_p1_images(sessions, shared)
    bytes_before, objects_before = await _usage(sessions, shared["company"])
    report = await sweep_unreferenced(sessions, store, grace_s=0)
    assert report == {"released": 4, "deleted": 2}
    assert not await store.exists(keys["a"]) and not await store.exists(f"{keys['a']}.thumb")
    assert await store.exists(keys["s"]) and await store.exists(f"{keys['s']}.thumb"), "p2 still references s"
    assert await _usage(sessions, shared["company"]) == (
        bytes_before - _charge(keys["a"]) - _charge(keys["s"]),
        objects_before - 4,
    )
    async with sessions() as session:
        assert (await session.scalar(sa.select(sa.func.count()).select_from(StorageGarbage))) == 0
    again = await sweep_unreferenced(sessions, store, grace_s=0)
    assert again == {"released": 0, "deleted": 0}, "a second sweep finds nothing to do"


async def test_a_sweep_that_died_after_deleting_is_finished_by_the_next_one(
    settings: Settings, sessions: Sessions, store: S3ImageStore, shared: dict[str, Any]
) -> None:
    """The claim goes stale; deleting the already-deleted object again is harmless; bytes are given back once."""
    keys = shared["keys"]
    await _drop_p1_images(sessions, shared)
    bytes_before, objects_before = await _usage(sessions, shared["company"])
    async with sessions() as session:
        claim = await CatalogRemovalRepository(session).claim_garbage(grace_s=0, claim_ttl_s=0, limit=100)
        await session.commit()
    for key in claim.unreferenced_keys:
        await store.delete(key)  # ... and the sweep died before releasing
    async with sessions() as session:
        retaken = await CatalogRemovalRepository(session).claim_garbage(grace_s=0, claim_ttl_s=0, limit=100)
        for key in retaken.unreferenced_keys:
            await store.delete(key)
        await CatalogRemovalRepository(session).release_garbage(retaken.ids)
        await session.commit()
    assert sorted(retaken.ids) == sorted(claim.ids)
    assert await _usage(sessions, shared["company"]) == (
        bytes_before - _charge(keys["a"]) - _charge(keys["s"]),
        objects_before - 4,
    )


async def test_without_the_reference_check_a_shared_object_would_be_deleted(
    settings: Settings,
    sessions: Sessions,
    store: S3ImageStore,
    shared: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The check above is what protects p2's image: skip it on purpose and the object is gone."""

    async def every_key_free(self: CatalogRemovalRepository, **kwargs: Any) -> GarbageClaim:
        claim = await original(self, **kwargs)
        rows = await self._session.execute(sa.select(StorageGarbage.key).where(StorageGarbage.id.in_(claim.ids)))
        return GarbageClaim(ids=claim.ids, unreferenced_keys=sorted(set(rows.scalars().all())))

    original = CatalogRemovalRepository.claim_garbage
    monkeypatch.setattr(CatalogRemovalRepository, "claim_garbage", every_key_free)
    await _drop_p1_images(sessions, shared)
    await sweep_unreferenced(sessions, store, grace_s=0)
    assert not await store.exists(shared["keys"]["s"]), "without the check the referenced object is deleted"


async def test_the_sweep_forgets_what_settled_jobs_saw_and_keeps_running_jobs_rows(
    settings: Settings, sessions: Sessions, store: S3ImageStore, tenants: Tenants
) -> None:
    """A job cancelled while queued never passes through its worker's settling; the sweep cleans up after it."""
    jobs = {status: uuid.uuid4() for status in (JobStatus.CANCELLED, JobStatus.RUNNING)}
    async with sessions() as session:
        for status, job_id in jobs.items():
            session.add(
                ImportJob(
                    id=job_id,
                    company_id=tenants.acme.company_id,
                    integration_id=tenants.acme.integration_id,
                    provider=Provider.SHOPIFY,
                    tier=Tier.PRO,
                    status=status,
                    correlation_id=f"seen-{status.value}",
                )
            )
        await session.flush()
        for job_id in jobs.values():
            await CatalogRemovalRepository(session).record_seen(job_id, ["a", "b", "a"])
        await session.commit()
    await sweep_unreferenced(sessions, store, grace_s=3600)
    async with sessions() as session:
        left = (await session.execute(sa.select(ImportSeenProduct.job_id, ImportSeenProduct.external_id))).all()
    assert sorted(left) == [(jobs[JobStatus.RUNNING], "a"), (jobs[JobStatus.RUNNING], "b")]
