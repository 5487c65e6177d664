"""The submit path's one-statement writes: a job's change and its event are never apart.

The submission's read is scoped to the caller's company, sees its key's job, and
counts what the company holds; a move that does not happen writes no event.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from control_plane.db.models import ImportJob, JobEvent
from control_plane.db.repositories.submissions import EventRecord, SubmissionRepository
from control_plane.domain.jobs import JobStatus
from control_plane.domain.principals import Tier
from control_plane.domain.providers import Provider
from tests.conftest import Tenants, Vendor

QUEUED = EventRecord("queued", "test", JobStatus.PENDING, JobStatus.QUEUED, "note", {"defer_s": 3})


def _values(vendor: Vendor, key: str | None = None) -> dict[str, object]:
    job_id = uuid.uuid4()
    return {
        "id": job_id,
        "company_id": vendor.company_id,
        "integration_id": vendor.integration_id,
        "provider": Provider.SHOPIFY,
        "tier": Tier.PRO,
        "status": JobStatus.PENDING,
        "options": {"include_images": True},
        "checkpoint": {},
        "max_attempts": 4,
        "correlation_id": str(job_id),
        "idempotency_key": key,
        "request_fingerprint": "f" * 64,
    }


async def _events(session: AsyncSession, job_id: uuid.UUID) -> Sequence[tuple[str, str | None, dict[str, object]]]:
    rows = await session.execute(
        sa.select(JobEvent.kind, JobEvent.message, JobEvent.data).where(JobEvent.job_id == job_id).order_by(JobEvent.id)
    )
    return [tuple(row) for row in rows.all()]  # type: ignore[misc]


async def test_a_new_job_is_stored_with_its_created_event(
    tenants: Tenants, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with sessions() as session:
        created = EventRecord("created", "test", to_status=JobStatus.PENDING, data={"options": {}})
        job = await SubmissionRepository(session).add(_values(tenants.acme), created)
        await session.commit()
        assert job.status is JobStatus.PENDING and job.requested_at is not None
        assert await _events(session, job.id) == [("created", None, {"options": {}})]


async def test_a_move_writes_its_event_and_a_refused_move_writes_none(
    tenants: Tenants, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with sessions() as session:
        repository = SubmissionRepository(session)
        job = await repository.add(_values(tenants.acme), EventRecord("created", "test"))
        moved = await repository.mark_queued(job.id, queued_at=datetime.now(UTC), event=QUEUED)
        assert moved is not None and moved.status is JobStatus.QUEUED
        again = await repository.mark_queued(job.id, queued_at=datetime.now(UTC), event=QUEUED)
        assert again is None, "a job no longer PENDING is not moved"
        await session.commit()
        assert await _events(session, job.id) == [("created", None, {}), ("queued", "note", {"defer_s": 3})]


async def test_the_submission_read_is_scoped_and_sees_the_key_and_the_counts(
    tenants: Tenants, sessions: async_sessionmaker[AsyncSession]
) -> None:
    acme, beans = tenants.acme, tenants.beans
    async with sessions() as session:
        repository = SubmissionRepository(session)
        keyed = await repository.add(_values(acme, key="k-1"), EventRecord("created", "test"))
        await repository.add(_values(acme), EventRecord("created", "test"))
        await session.commit()
        read = await repository.context(acme.integration_id, company_scope=acme.company_id, idempotency_key="k-1")
        assert read is not None
        assert (read.integration.id, read.active_imports, read.stored_bytes) == (acme.integration_id, 2, 0)
        assert read.replay is not None and read.replay.id == keyed.id
        unkeyed = await repository.context(acme.integration_id, company_scope=None, idempotency_key=None)
        assert unkeyed is not None and unkeyed.replay is None, "no key matches no job, not the jobs without one"
        other = await repository.context(acme.integration_id, company_scope=beans.company_id, idempotency_key="k-1")
        assert other is None, "another company's integration is not found"
        assert await session.scalar(sa.select(sa.func.count()).select_from(ImportJob)) == 2
