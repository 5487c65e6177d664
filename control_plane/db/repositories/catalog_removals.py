"""What leaves the catalog: products a full import no longer sees, image rows no longer listed, their S3 keys.

Every statement here works on a whole page or a whole job at once (never one
row per product).  Image rows that go are deleted, and each S3 key they held
is noted in ``storage_garbage`` with the bytes the row was charged, in the
same statement: a key can never be forgotten between the two.  The storage
sweep deletes an object only once no image row (of any company: objects are
shared) references it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.db.models import ImportJob, ImportSeenProduct
from control_plane.domain.jobs import TERMINAL_STATUSES
from control_plane.domain.providers import Provider

RECORD_SEEN = sa.text(
    "INSERT INTO import_seen_products (job_id, external_id) "
    "SELECT CAST(:job_id AS uuid), unnest(CAST(:external_ids AS varchar[])) ON CONFLICT DO NOTHING"
)

REPLACE_IMAGE_SETS = sa.text("""
WITH listed AS (
    SELECT * FROM unnest(CAST(:listed_products AS uuid[]), CAST(:listed_urls AS varchar[])) AS l(product_id, url)
),
gone AS (
    DELETE FROM product_images AS i
    WHERE i.company_id = :company_id
      AND i.product_id = ANY(CAST(:products AS uuid[]))
      AND NOT EXISTS (SELECT 1 FROM listed WHERE listed.product_id = i.product_id AND listed.url = i.source_url)
    RETURNING i.company_id, i.s3_key, i.thumbnail_key, i.bytes, i.thumbnail_bytes
),
noted AS (
    INSERT INTO storage_garbage (key, company_id, bytes)
    SELECT s3_key, company_id, coalesce(bytes, 0) FROM gone WHERE s3_key IS NOT NULL
    UNION ALL
    SELECT thumbnail_key, company_id, coalesce(thumbnail_bytes, 0) FROM gone WHERE thumbnail_key IS NOT NULL
)
SELECT count(*) FROM gone
""")
"""The ``noted`` CTE (as in SETTLE_FULL_IMPORT) runs once whether or not the query reads it: every deleted
row's keys are noted as garbage in the same statement."""

SETTLE_FULL_IMPORT = sa.text("""
WITH seen AS (SELECT external_id FROM import_seen_products WHERE job_id = :job_id),
flipped AS (
    UPDATE products AS p
    SET removed_at = CASE WHEN p.removed_at IS NULL THEN now() END, updated_at = now()
    WHERE p.company_id = :company_id AND p.provider = :provider AND p.integration_id = :integration_id
      AND (p.removed_at IS NULL) = NOT EXISTS (SELECT 1 FROM seen WHERE seen.external_id = p.external_id)
    RETURNING p.id, p.removed_at
),
gone AS (
    DELETE FROM product_images AS i USING flipped
    WHERE i.product_id = flipped.id AND flipped.removed_at IS NOT NULL
    RETURNING i.company_id, i.s3_key, i.thumbnail_key, i.bytes, i.thumbnail_bytes
),
noted AS (
    INSERT INTO storage_garbage (key, company_id, bytes)
    SELECT s3_key, company_id, coalesce(bytes, 0) FROM gone WHERE s3_key IS NOT NULL
    UNION ALL
    SELECT thumbnail_key, company_id, coalesce(thumbnail_bytes, 0) FROM gone WHERE thumbnail_key IS NOT NULL
)
SELECT (SELECT count(*) FROM flipped WHERE removed_at IS NOT NULL) AS products_removed,
       (SELECT count(*) FROM gone) AS images_removed
""")
"""Flips exactly the products whose state is wrong: listed-and-present stays, unseen-and-present is marked
removed, seen-and-removed is restored (the page upsert restores it first; this keeps the rule in one place)."""

CLAIM_GARBAGE = sa.text("""
WITH due AS (
    SELECT id FROM storage_garbage
    WHERE noted_at <= now() - make_interval(secs => :grace_s)
      AND (claimed_at IS NULL OR claimed_at <= now() - make_interval(secs => :claim_ttl_s))
    ORDER BY noted_at, id
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
)
UPDATE storage_garbage AS g SET claimed_at = now() FROM due WHERE g.id = due.id
RETURNING g.id, g.key
""")

UNREFERENCED = sa.text("""
SELECT k.key FROM unnest(CAST(:keys AS varchar[])) AS k(key)
WHERE NOT EXISTS (SELECT 1 FROM product_images WHERE s3_key = k.key)
  AND NOT EXISTS (SELECT 1 FROM product_images WHERE thumbnail_key = k.key)
""")
"""Two probes, one per indexed column, rather than ``s3_key = k OR thumbnail_key = k`` (which cannot use both)."""

RELEASE_GARBAGE = sa.text("""
WITH gone AS (DELETE FROM storage_garbage WHERE id = ANY(CAST(:ids AS bigint[])) RETURNING company_id, bytes),
per_company AS (SELECT company_id, sum(bytes) AS bytes, count(*) AS objects FROM gone GROUP BY company_id)
UPDATE storage_usage AS u
SET bytes_stored = greatest(u.bytes_stored - per_company.bytes, 0),
    objects_stored = greatest(u.objects_stored - per_company.objects, 0),
    updated_at = now()
FROM per_company WHERE u.company_id = per_company.company_id
""")


@dataclass(frozen=True)
class RemovalCounts:
    products_removed: int = 0
    images_removed: int = 0


@dataclass(frozen=True)
class GarbageClaim:
    """Garbage rows one sweep took, and which of their keys no image row references."""

    ids: list[int]
    unreferenced_keys: list[str]


class CatalogRemovalRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record_seen(self, job_id: uuid.UUID, external_ids: Sequence[str]) -> None:
        """Remember a page's source product ids for this job (one statement per page; repeats are ignored)."""
        if external_ids:
            await self._session.execute(RECORD_SEEN, {"job_id": job_id, "external_ids": list(external_ids)})

    async def replace_image_sets(
        self, *, company_id: uuid.UUID, products: Sequence[uuid.UUID], listed: Sequence[tuple[uuid.UUID, str]]
    ) -> int:
        """Delete the rows of ``products`` whose URL is not in ``listed`` (product, url); note their keys.

        The listed rows are then upserted with positions 1..k by
        ``CatalogRepository.images_to_process``; the (product, position)
        constraint is checked at commit, so the renumbering may pass through
        duplicates.  Returns how many rows were deleted.
        """
        if not products:
            return 0
        result = await self._session.execute(
            REPLACE_IMAGE_SETS,
            {
                "company_id": company_id,
                "products": list(products),
                "listed_products": [product for product, _ in listed],
                "listed_urls": [url for _, url in listed],
            },
        )
        return int(result.scalar_one())

    async def settle_full_import(
        self, *, job_id: uuid.UUID, company_id: uuid.UUID, integration_id: uuid.UUID, provider: Provider
    ) -> RemovalCounts:
        """After a full import's last page: mark the integration's unseen products removed, drop their images."""
        row = (
            await self._session.execute(
                SETTLE_FULL_IMPORT,
                {
                    "job_id": job_id,
                    "company_id": company_id,
                    "integration_id": integration_id,
                    "provider": provider.value,
                },
            )
        ).one()
        return RemovalCounts(products_removed=int(row.products_removed), images_removed=int(row.images_removed))

    async def forget_seen(self, job_id: uuid.UUID) -> None:
        """The job settled: what it saw is no longer needed."""
        await self._session.execute(sa.delete(ImportSeenProduct).where(ImportSeenProduct.job_id == job_id))

    async def forget_settled_jobs(self) -> int:
        """Seen rows of jobs settled without their worker (cancelled while queued, given up by reconciliation)."""
        settled = sa.select(ImportJob.id).where(ImportJob.status.in_(TERMINAL_STATUSES))
        result = await self._session.execute(
            sa.delete(ImportSeenProduct)
            .where(ImportSeenProduct.job_id.in_(settled))
            .returning(ImportSeenProduct.job_id)
        )
        return len(result.all())

    async def claim_garbage(self, *, grace_s: float, claim_ttl_s: float, limit: int) -> GarbageClaim:
        """Take up to ``limit`` garbage rows older than the grace, and check their keys' references now.

        A claim older than ``claim_ttl_s`` is taken again (its sweep died between
        deleting and releasing; deleting an object twice is harmless).
        """
        claimed = (
            await self._session.execute(CLAIM_GARBAGE, {"grace_s": grace_s, "claim_ttl_s": claim_ttl_s, "limit": limit})
        ).all()
        keys = sorted({row.key for row in claimed})
        free = (await self._session.execute(UNREFERENCED, {"keys": keys})).scalars().all() if keys else []
        return GarbageClaim(ids=[row.id for row in claimed], unreferenced_keys=list(free))

    async def release_garbage(self, ids: Sequence[int]) -> None:
        """Drop swept rows and give each company back the bytes and objects those rows were charged."""
        if ids:
            await self._session.execute(RELEASE_GARBAGE, {"ids": list(ids)})
