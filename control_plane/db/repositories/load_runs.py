"""Queries of the load harness: reset the job store, sample it during a run, account for it afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.db.models import ImportJob, Integration, JobEvent, Product, ProductImage

KEPT_TABLES = frozenset({"alembic_version", "slo_observations"})
"""What a reset keeps: the migration marker, and what earlier drills and runs measured for the SLOs."""


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
class EventRow:
    """One timeline entry, as the slot-utilisation accounting reads it."""

    job_id: uuid.UUID
    at: datetime
    kind: str
    actor: str
    from_status: str | None
    to_status: str | None
    data: dict[str, Any]


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
        """Empty every table of the schema but :data:`KEPT_TABLES`: a load run starts from nothing.

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

    async def events(self) -> Sequence[EventRow]:
        """Every job's timeline, in order (a run starts from empty tables, so this is the run's)."""
        rows = await self._session.execute(
            sa.select(
                JobEvent.job_id,
                JobEvent.at,
                JobEvent.kind,
                JobEvent.actor,
                JobEvent.from_status,
                JobEvent.to_status,
                JobEvent.data,
            ).order_by(JobEvent.job_id, JobEvent.at, JobEvent.id)
        )
        return [EventRow(r[0], r[1], r[2], r[3], r[4], r[5], dict(r[6] or {})) for r in rows]

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
