"""Removals end to end: real workers import from the simulator (Shopify REST) into PostgreSQL and SeaweedFS.

A full import marks what the shop no longer lists as removed and drops its
images; an incremental import replaces the image list of each product it
sees; the storage sweep (run here with a grace of 0) deletes the objects no
row references and gives their bytes back.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from control_plane.db.models import ImportSeenProduct, Integration, Product, ProductImage, StorageUsage
from control_plane.integrations.images import S3ImageStore
from control_plane.settings import Settings
from loadtests.simulator.shopify_shapes import product_id
from tests.integration.conftest import IMPORTS, Rig
from tests.support.jobs import wait_for_status
from workers.reconciliation_tasks import sweep_unreferenced

Sessions = async_sessionmaker[AsyncSession]


async def _over_rest(rig: Rig) -> None:
    """The Shopify GraphQL client is not under test here; REST is the reference path."""
    async with rig.sessions() as session:
        await session.execute(
            sa.update(Integration)
            .where(Integration.id == rig.tenants.acme.integration_id)
            .values(account_settings={"api": "rest"})
        )
        await session.commit()


async def _import(rig: Rig, **options: Any) -> Any:
    job = await wait_for_status(rig.sessions, await rig.submit(**options), "COMPLETED", "FAILED", timeout_s=90)
    assert job.status.value == "COMPLETED", job.last_error
    return job


async def _sim_post(sim: httpx.AsyncClient, rig: Rig, action: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await sim.post(f"/_sim/accounts/shopify/{rig.tenants.acme.account}/{action}", json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def _images_of(sessions: Sessions, external_ids: list[str]) -> list[ProductImage]:
    async with sessions() as session:
        rows = await session.execute(
            sa.select(ProductImage)
            .join(Product, Product.id == ProductImage.product_id)
            .where(Product.external_id.in_(external_ids))
            .order_by(Product.external_id, ProductImage.position)
        )
        return list(rows.scalars().all())


async def _usage(sessions: Sessions) -> tuple[int, int]:
    async with sessions() as session:
        usage = (await session.execute(sa.select(StorageUsage))).scalar_one()
        return usage.bytes_stored, usage.objects_stored


async def _referenced(sessions: Sessions) -> set[str]:
    """Every key some image row still holds (objects are content addressed: products may share one)."""
    async with sessions() as session:
        rows = (await session.execute(sa.select(ProductImage.s3_key, ProductImage.thumbnail_key))).all()
    return {key for row in rows for key in row if key}


def _keys(images: list[ProductImage]) -> set[str]:
    return {key for image in images for key in (image.s3_key, image.thumbnail_key) if key}


def _charge(images: list[ProductImage]) -> int:
    return sum((image.bytes or 0) + (image.thumbnail_bytes or 0) for image in images)


async def _sweep(settings: Settings, rig: Rig, store: S3ImageStore) -> dict[str, int | bool]:
    return await sweep_unreferenced(rig.sessions, store, grace_s=0.0)


async def test_a_full_import_marks_unlisted_products_removed_and_their_objects_are_swept(
    rig: Rig, sim: httpx.AsyncClient, store: S3ImageStore, settings: Settings
) -> None:
    await rig.shop(products=12, images_min=2, images_max=2, image_width=64, image_height=64)
    await _over_rest(rig)
    rig.start_workers(1)
    first = await _import(rig)
    assert (first.products_removed, first.images_removed) == (0, 0)
    gone = [str(product_id(i)) for i in (2, 5, 9)]
    their_images = await _images_of(rig.sessions, gone)
    assert len(their_images) == 6 and all(image.status == "stored" for image in their_images)
    await _sim_post(sim, rig, "remove-products", {"indices": [2, 5, 9]})

    second = await _import(rig)

    assert (second.products_processed, second.products_removed, second.images_removed) == (9, 3, 6)
    async with rig.sessions() as session:
        removed = (
            await session.execute(sa.select(Product.external_id).where(Product.removed_at.is_not(None)))
        ).scalars()
        assert sorted(removed) == sorted(gone)
        assert await session.scalar(sa.select(sa.func.count()).select_from(Product)) == 12, "marked, not deleted"
        assert await session.scalar(sa.select(sa.func.count()).select_from(ImportSeenProduct)) == 0
    assert await _images_of(rig.sessions, gone) == []
    response = await rig.client.get(f"{IMPORTS}/{second.id}", headers=rig.tenants.acme.auth)
    progress = response.json()["progress"]
    assert (progress["products_removed"], progress["images_removed"]) == (3, 6)

    kept = _keys(their_images) & await _referenced(rig.sessions)  # identical bytes on a listed product
    bytes_before, objects_before = await _usage(rig.sessions)
    report = await _sweep(settings, rig, store)
    assert report == {"released": 12, "deleted": len(_keys(their_images) - kept)}
    for key in _keys(their_images):
        assert await store.exists(key) == (key in kept), key
    assert await _usage(rig.sessions) == (bytes_before - _charge(their_images), objects_before - 12)


async def test_a_removed_product_listed_again_comes_back(rig: Rig, sim: httpx.AsyncClient) -> None:
    await rig.shop(products=4, images_max=0)
    await _over_rest(rig)
    rig.start_workers(1)
    await _import(rig)
    await _sim_post(sim, rig, "remove-products", {"indices": [1]})
    assert (await _import(rig)).products_removed == 1
    await sim.delete(f"/_sim/accounts/shopify/{rig.tenants.acme.account}")  # the shop forgets its edits
    await rig.shop(products=4, images_max=0)
    third = await _import(rig)
    assert third.products_removed == 0
    async with rig.sessions() as session:
        assert await session.scalar(sa.select(sa.func.count()).where(Product.removed_at.is_not(None))) == 0


async def test_an_incremental_import_replaces_image_sets_and_keeps_shared_objects(
    rig: Rig, sim: httpx.AsyncClient, store: S3ImageStore, settings: Settings
) -> None:
    await rig.shop(products=6, images_min=3, images_max=3, image_width=64, image_height=64)
    await _over_rest(rig)
    rig.start_workers(1)
    await _import(rig)
    changed = [str(product_id(i)) for i in (0, 3)]
    before = await _images_of(rig.sessions, changed)
    assert [image.position for image in before] == [1, 2, 3, 1, 2, 3]
    dropped = [image for image in before if image.position <= 2]
    shared = dropped[0]
    async with rig.sessions() as session:  # an untouched product holding the same bytes: one shared object
        other = await session.scalar(sa.select(Product.id).where(Product.external_id == str(product_id(5))))
        session.add(
            ProductImage(
                id=uuid.uuid4(),
                product_id=other,
                company_id=rig.tenants.acme.company_id,
                source_url="https://img.example/same-bytes.png",
                position=4,
                s3_key=shared.s3_key,
                thumbnail_key=shared.thumbnail_key,
                bytes=shared.bytes,
                thumbnail_bytes=shared.thumbnail_bytes,
                status="stored",
            )
        )
        await session.commit()
    answer = await _sim_post(sim, rig, "replace-images", {"indices": [0, 3], "drop": 2, "add": 1})

    job = await _import(rig, updated_since=answer["updated_at"])

    assert (job.products_processed, job.products_removed, job.images_removed) == (2, 0, 4)
    after = await _images_of(rig.sessions, changed)
    assert [image.position for image in after] == [1, 2, 1, 2]
    assert {image.source_url for image in after}.isdisjoint(image.source_url for image in dropped)
    assert all(image.status == "stored" for image in after)
    kept = _keys(dropped) & await _referenced(rig.sessions)
    assert _keys([shared]) <= kept
    bytes_before, objects_before = await _usage(rig.sessions)
    report = await _sweep(settings, rig, store)
    assert report == {"released": 8, "deleted": len(_keys(dropped) - kept)}
    for key in _keys(dropped):
        assert await store.exists(key) == (key in kept), key
    assert await _usage(rig.sessions) == (bytes_before - _charge(dropped), objects_before - 8)
