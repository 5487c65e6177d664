"""Products, their images and per-company storage usage: idempotent batch writes.

Upserts touch a row only when something in it changed, so re-running an import
leaves every row (and its `updated_at`) exactly as it was.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.db.models import Product, ProductImage, StorageUsage
from control_plane.domain.providers import Provider

PRODUCT_FIELDS = (
    "title",
    "description",
    "vendor",
    "product_type",
    "status",
    "tags",
    "price",
    "currency",
    "sku",
    "variants",
    "options",
    "raw",
    "source_updated_at",
)
STORED = "stored"
FAILED = "failed"
PENDING = "pending"


@dataclass(frozen=True)
class PendingImage:
    id: uuid.UUID
    product_id: uuid.UUID
    source_url: str


@dataclass(frozen=True)
class StoredImage:
    id: uuid.UUID
    s3_key: str
    thumbnail_key: str
    width: int
    height: int
    bytes: int
    content_type: str
    thumbnail_bytes: int = 0


PRODUCTS = cast(sa.Table, Product.__table__)
IMAGES = cast(sa.Table, ProductImage.__table__)


def _product_upsert() -> Insert:
    """Built once: executed with one parameter set per row (executemany), never recompiled per page."""
    statement = insert(PRODUCTS)
    excluded = statement.excluded
    changed = sa.tuple_(*(PRODUCTS.c[f] for f in PRODUCT_FIELDS)).is_distinct_from(
        sa.tuple_(*(excluded[f] for f in PRODUCT_FIELDS))
    )
    updates = {f: excluded[f] for f in (*PRODUCT_FIELDS, "integration_id", "last_import_job_id")}
    # A removed product the provider lists again comes back, even when nothing else in it changed.
    returned = PRODUCTS.c.removed_at.is_not(None)
    return statement.on_conflict_do_update(
        index_elements=["company_id", "provider", "external_id"],
        set_={**updates, "removed_at": None, "updated_at": sa.func.now()},
        where=sa.or_(changed, returned),
    )


def _image_upsert() -> Insert:
    statement = insert(IMAGES)
    return statement.on_conflict_do_update(
        index_elements=["product_id", "source_url"],
        set_={"position": statement.excluded.position},
        where=IMAGES.c.position.is_distinct_from(statement.excluded.position),
    )


PRODUCT_UPSERT = _product_upsert()
_SCOPED_IMAGE_UPDATE = sa.update(ProductImage).execution_options(synchronize_session=None)
"""Bulk UPDATE by primary key plus a company fence (the rows are not loaded in the session: nothing to sync)."""
IMAGE_UPSERT = _image_upsert()


class CatalogRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def upsert_products(
        self, *, company_id: uuid.UUID, provider: Provider, rows: Sequence[dict[str, Any]]
    ) -> None:
        """Insert or update by (company, provider, external id)."""
        if rows:
            params = [{"id": uuid.uuid4(), "company_id": company_id, "provider": provider.value, **row} for row in rows]
            await self._session.execute(PRODUCT_UPSERT, params)

    async def product_ids(
        self, *, company_id: uuid.UUID, provider: Provider, external_ids: Sequence[str]
    ) -> dict[str, uuid.UUID]:
        """External id → product id; only images need them, so an import without images never asks."""
        if not external_ids:
            return {}
        ids = await self._session.execute(
            sa.select(Product.external_id, Product.id).where(
                Product.company_id == company_id,
                Product.provider == provider,
                Product.external_id.in_(external_ids),
            )
        )
        return {row.external_id: row.id for row in ids.all()}

    async def images_to_process(
        self, *, company_id: uuid.UUID, wanted: Sequence[tuple[uuid.UUID, str, int]]
    ) -> list[PendingImage]:
        """Record (product, url, position) rows; return those not yet stored (new, pending or failed).

        Every product must be the company's own: an image row is never attached to another tenant's product.
        """
        if not wanted:
            return []
        products = {p for p, _, _ in wanted}
        owned = await self._session.scalars(
            sa.select(Product.id).where(Product.company_id == company_id, Product.id.in_(products))
        )
        if foreign := products - set(owned.all()):
            raise ValueError(f"{len(foreign)} product(s) are not this company's; no image recorded")
        params = [
            {"id": uuid.uuid4(), "product_id": p, "company_id": company_id, "source_url": u, "position": n}
            for p, u, n in wanted
        ]
        await self._session.execute(IMAGE_UPSERT, params)
        result = await self._session.execute(
            sa.select(ProductImage.id, ProductImage.product_id, ProductImage.source_url).where(
                ProductImage.company_id == company_id,
                ProductImage.product_id.in_(products),
                ProductImage.status != STORED,
            )
        )
        return [PendingImage(i, p, u) for i, p, u in result.all()]

    async def mark_stored(self, images: Sequence[StoredImage], *, company_id: uuid.UUID) -> None:
        """One executemany for the page's images (bulk UPDATE by primary key, fenced to the company)."""
        if images:
            now = datetime.now(UTC)
            await self._session.execute(
                _SCOPED_IMAGE_UPDATE.where(ProductImage.company_id == company_id),
                [
                    {
                        "id": image.id,
                        "status": STORED,
                        "error": None,
                        "s3_key": image.s3_key,
                        "thumbnail_key": image.thumbnail_key,
                        "width": image.width,
                        "height": image.height,
                        "bytes": image.bytes,
                        "thumbnail_bytes": image.thumbnail_bytes,
                        "content_type": image.content_type,
                        "updated_at": now,
                    }
                    for image in images
                ],
            )

    async def mark_failed(self, failures: Sequence[tuple[uuid.UUID, str]], *, company_id: uuid.UUID) -> None:
        if failures:
            await self._session.execute(
                _SCOPED_IMAGE_UPDATE.where(ProductImage.company_id == company_id),
                [
                    {"id": image_id, "status": FAILED, "error": reason[:2000], "updated_at": datetime.now(UTC)}
                    for image_id, reason in failures
                ],
            )

    async def add_storage(self, company_id: uuid.UUID, *, bytes_added: int, objects_added: int) -> None:
        if not objects_added:
            return
        statement = insert(StorageUsage).values(
            company_id=company_id, bytes_stored=bytes_added, objects_stored=objects_added
        )
        await self._session.execute(
            statement.on_conflict_do_update(
                index_elements=["company_id"],
                set_={
                    "bytes_stored": StorageUsage.bytes_stored + bytes_added,
                    "objects_stored": StorageUsage.objects_stored + objects_added,
                    "updated_at": sa.func.now(),
                },
            )
        )

    async def sample(self, company_id: uuid.UUID, limit: int) -> list[tuple[str, Any, str | None, str | None]]:
        """A few products still listed by their provider, with a thumbnail each: (title, price, currency, key)."""
        thumbnail = (
            sa.select(ProductImage.thumbnail_key)
            .where(ProductImage.product_id == Product.id, ProductImage.status == STORED)
            .order_by(ProductImage.position)
            .limit(1)
            .scalar_subquery()
        )
        result = await self._session.execute(
            sa.select(Product.title, Product.price, Product.currency, thumbnail)
            .where(Product.company_id == company_id, Product.removed_at.is_(None))
            .order_by(Product.external_id)
            .limit(limit)
        )
        return [tuple(row) for row in result.all()]
