"""The drill tenant's catalog in PostgreSQL and S3, compared with what the provider simulator served.

The served side is not read back from PostgreSQL (that would compare the store with itself): the
simulator's catalog is a pure function of its seed and the account's configuration
(``loadtests.simulator.products``), so the harness asks the simulator's admin API for both
(``/_sim/health`` and ``/_sim/accounts/<provider>/<account>``) and generates the same catalog locally.
Drills never remove products or replace images, so the generated catalog is what the shop listed.

The checks are pure functions of the served and stored data (unit-tested on broken inputs); the
unique constraints (company, provider, external id) and (product, source URL) already forbid
duplicate rows, so "exactly once" means: nothing missing, nothing extra.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import msgspec
import sqlalchemy as sa

from chaos.env import ChaosEnv, Tenant, image_store
from chaos.model import Check
from control_plane.db.models import Product, ProductImage
from control_plane.db.repositories.catalog import FAILED, STORED
from control_plane.domain.providers import Provider
from loadtests.simulator.catalog import Catalog, CatalogSpec
from loadtests.simulator.config import AccountConfig
from loadtests.simulator.shopify_shapes import product_id

EXAMPLES = 3


@dataclass(frozen=True)
class ServedProduct:
    external_id: str
    images: tuple[str, ...]
    """URL paths of the product's images, as the shop listed them (the host is the client's own)."""


@dataclass(frozen=True)
class StoredProduct:
    external_id: str
    removed: bool
    """``removed_at`` is set: a full import did not find it at the provider."""


@dataclass(frozen=True)
class StoredImage:
    external_id: str
    """The product's provider id."""
    path: str
    """``source_url``'s path."""
    status: str
    s3_key: str | None
    thumbnail_key: str | None
    error: str | None


def _examples(items: Iterable[object]) -> str:
    return ", ".join(str(item) for item in sorted(items, key=str)[:EXAMPLES])


def product_checks(served: Sequence[ServedProduct], stored: Sequence[StoredProduct], expected: int) -> list[Check]:
    """Every served product stored (and not marked removed); no stored product the provider never served.

    ``expected`` is the catalog size the drill configured: "products imported" keeps the comparison from
    passing on an empty served catalog read by mistake.
    """
    served_ids = {p.external_id for p in served}
    live = {p.external_id for p in stored if not p.removed}
    missing = served_ids - live
    removed = missing & {p.external_id for p in stored}
    unexpected = {p.external_id for p in stored} - served_ids
    imported = len(served_ids & live)
    return [
        Check(
            "products imported",
            imported == expected == len(served_ids),
            imported,
            expected,
            f"{len(served_ids)} served",
        ),
        Check(
            "served products missing",
            not missing,
            len(missing),
            0,
            f"{len(removed)} of them marked removed; {_examples(missing)}" if missing else "",
        ),
        Check("products_unexpected", not unexpected, len(unexpected), 0, _examples(unexpected)),
    ]


def _stored_ok(row: StoredImage, absent: Collection[str]) -> bool:
    keys = (row.s3_key, row.thumbnail_key)
    return row.status == STORED and all(k is not None and k not in absent for k in keys)


def _verdict(row: StoredImage | None, absent: Collection[str]) -> str:
    """``stored``, ``failed`` (with a reason) or what is wrong with the served image's row."""
    if row is None:
        return "no row"
    if _stored_ok(row, absent):
        return "stored"
    if row.status == STORED:
        return "stored without key" if None in (row.s3_key, row.thumbnail_key) else "object missing"
    if row.status == FAILED:
        return "failed" if (row.error or "").strip() else "failed without reason"
    return f"left {row.status}"


def image_checks_against(
    served: Sequence[ServedProduct], images: Sequence[StoredImage], absent: Collection[str]
) -> list[Check]:
    """Served images against image rows; ``absent``: the rows' S3 keys that the bucket does not hold."""
    rows = {(row.external_id, row.path): row for row in images}
    per_pair = Counter((row.external_id, row.path) for row in images)
    wanted = {(p.external_id, path) for p in served for path in p.images}
    verdicts = {pair: _verdict(rows.get(pair), absent) for pair in wanted}
    counts = Counter(verdicts.values())
    wrong = {pair: what for pair, what in verdicts.items() if what not in ("stored", "failed")}
    keyless = [row for row in images if row.status == STORED and None in (row.s3_key, row.thumbnail_key)]
    missing_objects = sorted({k for row in images for k in (row.s3_key, row.thumbnail_key) if k and k in absent})
    extra = sorted({*(set(rows) - wanted), *(pair for pair, n in per_pair.items() if n > 1)})
    extra_rows = sum(n if pair not in wanted else n - 1 for pair, n in per_pair.items() if pair in extra)
    return [
        Check(
            "served images neither stored nor failed with a reason",
            not wrong,
            len(wrong),
            0,
            f"{len(wanted)} served: {dict(sorted(counts.items()))}; "
            + _examples(f"{pid}{path} ({what})" for (pid, path), what in wrong.items()),
        ),
        Check(
            "image rows stored without a key",
            not keyless,
            len(keyless),
            0,
            _examples(f"{r.external_id}{r.path}" for r in keyless),
        ),
        Check(
            "image rows without their S3 objects",
            not missing_objects,
            len(missing_objects),
            0,
            _examples(missing_objects),
        ),
        Check(
            "extra image rows",
            not extra,
            extra_rows,
            0,
            _examples(f"{pid}{path}" for pid, path in extra),
        ),
    ]


def served_products(seed: int, provider: Provider, account: str, config: AccountConfig) -> list[ServedProduct]:
    """The catalog the simulator serves for ``account`` (generated exactly as the simulator does)."""
    if provider is not Provider.SHOPIFY:
        raise ValueError(f"served-catalog comparison supports Shopify drill tenants only, not {provider.value}")
    catalog = Catalog(CatalogSpec.of(seed, provider.value, account, config))
    found = []
    for index in range(catalog.size):
        if not catalog.exists(index):
            continue
        product = catalog.product(index)
        paths = tuple(catalog.image_path(product, image) for image in catalog.images(index))
        found.append(ServedProduct(str(product_id(index)), paths))
    return found


async def served_catalog(env: ChaosEnv, tenant: Tenant) -> list[ServedProduct]:
    """Ask the simulator for its seed and the account's configuration, then generate the served catalog."""
    health = await env.sim_admin.get("/_sim/health")
    health.raise_for_status()
    shown = await env.sim_admin.get(f"/_sim/accounts/{tenant.provider.value}/{tenant.account}")
    shown.raise_for_status()
    config = msgspec.convert(shown.json(), AccountConfig)
    return served_products(int(health.json()["seed"]), tenant.provider, tenant.account, config)


async def stored_catalog(env: ChaosEnv, tenant: Tenant) -> tuple[list[StoredProduct], list[StoredImage]]:
    async with env.sessions() as session:
        products = await session.execute(
            sa.select(Product.external_id, Product.removed_at).where(
                Product.company_id == tenant.company_id, Product.provider == tenant.provider
            )
        )
        images = await session.execute(
            sa.select(
                Product.external_id,
                ProductImage.source_url,
                ProductImage.status,
                ProductImage.s3_key,
                ProductImage.thumbnail_key,
                ProductImage.error,
            )
            .join(Product, Product.id == ProductImage.product_id)
            .where(ProductImage.company_id == tenant.company_id)
        )
        return (
            [StoredProduct(row.external_id, row.removed_at is not None) for row in products],
            [
                StoredImage(
                    row.external_id,
                    urlsplit(row.source_url).path,
                    row.status,
                    row.s3_key,
                    row.thumbnail_key,
                    row.error,
                )
                for row in images
            ],
        )


async def absent_objects(env: ChaosEnv, images: Sequence[StoredImage]) -> set[str]:
    """The keys image rows name that the bucket does not hold (objects are content-addressed: few distinct)."""
    keys = sorted({key for row in images for key in (row.s3_key, row.thumbnail_key) if key})
    absent = set()
    async with image_store(env) as store:
        for key in keys:
            if not await store.exists(key):
                absent.add(key)
    return absent


async def catalog_checks(env: ChaosEnv, tenant: Tenant, catalog_size: int) -> list[Check]:
    """The drill tenant's products and images against what the simulator served."""
    served = await served_catalog(env, tenant)
    products, images = await stored_catalog(env, tenant)
    absent = await absent_objects(env, images)
    return [*product_checks(served, products, catalog_size), *image_checks_against(served, images, absent)]
