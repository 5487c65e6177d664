"""Queries of the load harness: reset the job store, sample it during a run, account for it afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.db.models import ImportJob, Integration, Product, ProductImage

KEPT_TABLES = frozenset({"alembic_version"})


@dataclass(frozen=True)
class JobRow:
    id: uuid.UUID
    integration_id: uuid.UUID
    status: str
    tier: str
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    products: int
    images: int
    attempts: int


@dataclass(frozen=True)
class ImageRow:
    integration_id: uuid.UUID
    external_id: str
    s3_key: str | None
    thumbnail_key: str | None
    status: str


class LoadRunRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def truncate_everything(self, *, lock_timeout_ms: int | None = None) -> list[str]:
        """Empty every table of the schema but the migration marker: a load run starts from nothing.

        With ``lock_timeout_ms`` the TRUNCATE gives up (an error) instead of queueing behind a lock holder.
        """
        if lock_timeout_ms is not None:
            await self._session.execute(sa.text(f"SET LOCAL lock_timeout = {int(lock_timeout_ms)}"))
        rows = await self._session.execute(
            sa.text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename")
        )
        tables = [name for (name,) in rows if name not in KEPT_TABLES]
        if tables:
            quoted = ", ".join(f'"{name}"' for name in tables)
            await self._session.execute(sa.text(f"TRUNCATE {quoted} CASCADE"))
        return tables

    async def status_counts(self) -> dict[str, int]:
        rows = await self._session.execute(sa.select(ImportJob.status, sa.func.count()).group_by(ImportJob.status))
        return {str(status.value if hasattr(status, "value") else status): int(n) for status, n in rows}

    async def jobs(self) -> Sequence[JobRow]:
        rows = await self._session.execute(
            sa.select(
                ImportJob.id,
                ImportJob.integration_id,
                ImportJob.status,
                ImportJob.tier,
                ImportJob.requested_at,
                ImportJob.started_at,
                ImportJob.finished_at,
                ImportJob.products_processed + ImportJob.products_failed,
                ImportJob.images_processed + ImportJob.images_failed,
                ImportJob.attempt_count,
            )
        )
        return [
            JobRow(r[0], r[1], r[2].value, r[3].value, r[4], r[5], r[6], int(r[7]), int(r[8]), int(r[9])) for r in rows
        ]

    async def product_ids(self) -> dict[uuid.UUID, list[str]]:
        """Every stored product's external id, by the integration that imported it (duplicates kept)."""
        rows = await self._session.execute(sa.select(Product.integration_id, Product.external_id))
        found: dict[uuid.UUID, list[str]] = {}
        for integration_id, external_id in rows:
            if integration_id is not None:
                found.setdefault(integration_id, []).append(external_id)
        return found

    async def images(self) -> Sequence[ImageRow]:
        rows = await self._session.execute(
            sa.select(
                Product.integration_id,
                Product.external_id,
                ProductImage.s3_key,
                ProductImage.thumbnail_key,
                ProductImage.status,
            )
            .join(Product, Product.id == ProductImage.product_id)
            .where(Product.integration_id.is_not(None))
        )
        return [ImageRow(r[0], r[1], r[2], r[3], r[4]) for r in rows if r[0] is not None]

    async def integration_accounts(self) -> dict[uuid.UUID, str]:
        rows = await self._session.execute(sa.select(Integration.id, Integration.base_url))
        return dict(rows)

    async def database_now(self) -> datetime:
        return (await self._session.execute(sa.select(sa.func.now()))).scalar_one()
