"""Whether two companies hold the same catalog: every stored product, variant and image field compared.

Used to show that one mapping over Shopify's REST and GraphQL APIs stores the
same data: the same shop imported into two companies, one per API.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.db.models import Product, ProductImage
from control_plane.db.repositories.catalog import PRODUCT_FIELDS as STORED_FIELDS

PRODUCT_FIELDS = ("external_id", *(field for field in STORED_FIELDS if field != "raw"), "removed_at")
"""What the pipeline stores of a product, less the provider's own payload (``raw`` differs between APIs by design)."""
IMAGE_FIELDS = ("position", "source_url", "status", "width", "height", "bytes", "content_type")


async def catalog_of(session: AsyncSession, company_id: uuid.UUID) -> dict[str, dict[str, Any]]:
    """Every product of the company by external id, with its images in position order."""
    columns = [getattr(Product, name) for name in PRODUCT_FIELDS]
    rows = await session.execute(sa.select(Product.id, *columns).where(Product.company_id == company_id))
    products = {row.external_id: {**row._asdict(), "images": []} for row in rows}
    by_id = {product.pop("id"): product for product in products.values()}
    images = await session.execute(
        sa.select(ProductImage.product_id, *(getattr(ProductImage, name) for name in IMAGE_FIELDS))
        .where(ProductImage.company_id == company_id)
        .order_by(ProductImage.product_id, ProductImage.position)
    )
    for image in images:
        fields = image._asdict()
        by_id[fields.pop("product_id")]["images"].append(fields)
    return products


def differences(left: dict[str, dict[str, Any]], right: dict[str, dict[str, Any]], limit: int = 20) -> list[str]:
    """What differs, one line each (at most ``limit`` lines); empty when the catalogs are the same."""
    found: list[str] = []
    for external_id in sorted(left.keys() | right.keys()):
        a, b = left.get(external_id), right.get(external_id)
        if a is None or b is None:
            found.append(f"product {external_id}: only in {'right' if a is None else 'left'}")
        else:
            found += [
                f"product {external_id}: {field}: {a[field]!r:.120} != {b[field]!r:.120}"
                for field in (*PRODUCT_FIELDS, "images")
                if a[field] != b[field]
            ]
        if len(found) >= limit:
            return found[:limit]
    return found
