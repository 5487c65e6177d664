"""Craft job histories with explicit timestamps: import_jobs rows and their timeline, as workers would leave them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from control_plane.db.models import ImportJob, JobEvent
from control_plane.domain.jobs import JobStatus
from control_plane.domain.principals import Tier
from control_plane.domain.providers import Provider
from tests.conftest import Vendor


def seconds(value: float) -> timedelta:
    return timedelta(seconds=value)


@dataclass
class Event:
    kind: str
    at: datetime
    to_status: JobStatus | None = None
    message: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class History:
    """Jobs for one vendor, written in one transaction by :meth:`save`."""

    vendor: Vendor
    jobs: list[tuple[ImportJob, list[Event]]] = field(default_factory=list)

    def job(self, requested_at: datetime, status: JobStatus, events: list[Event], **columns: Any) -> uuid.UUID:
        job_id = uuid.uuid4()
        job = ImportJob(
            id=job_id,
            company_id=self.vendor.company_id,
            integration_id=self.vendor.integration_id,
            provider=Provider.SHOPIFY,
            tier=Tier.PRO,
            status=status,
            options={},
            correlation_id=str(job_id),
            requested_at=requested_at,
            **columns,
        )
        created = Event("created", requested_at, JobStatus.PENDING)
        self.jobs.append((job, [created, *events]))
        return job_id

    def completed(self, requested_at: datetime, duration_s: float, *, products: int = 10) -> uuid.UUID:
        done = requested_at + seconds(duration_s)
        progress = {"products_processed": products, "products_failed": 0, "pages": 1}
        return self.job(
            requested_at,
            JobStatus.COMPLETED,
            [*_started(requested_at), Event("completed", done, JobStatus.COMPLETED, data=progress)],
            finished_at=done,
            products_processed=products,
            checkpoint={"cursor": None, "progress": progress},
            attempt_count=1,
        )

    def failed(self, requested_at: datetime, duration_s: float, reason: str, *, products: int = 0) -> uuid.UUID:
        done = requested_at + seconds(duration_s)
        return self.job(
            requested_at,
            JobStatus.FAILED,
            [*_started(requested_at), Event("failed", done, JobStatus.FAILED, message=reason)],
            finished_at=done,
            products_processed=products,
            last_error=reason,
            attempt_count=1,
        )

    def cancelled(self, requested_at: datetime, after_s: float) -> uuid.UUID:
        done = requested_at + seconds(after_s)
        return self.job(
            requested_at, JobStatus.CANCELLED, [Event("cancelled", done, JobStatus.CANCELLED)], finished_at=done
        )

    def queued(self, requested_at: datetime, *more: Event) -> uuid.UUID:
        """Queued at once; ``more`` may move it on later (e.g. a ``started`` event)."""
        status = next((e.to_status for e in reversed(more) if e.to_status), JobStatus.QUEUED)
        return self.job(requested_at, status, [Event("queued", requested_at, JobStatus.QUEUED), *more])

    def running(self, requested_at: datetime, lease_expires_at: datetime, *more: Event) -> uuid.UUID:
        return self.job(
            requested_at,
            JobStatus.RUNNING,
            [*_started(requested_at), *more],
            lease_expires_at=lease_expires_at,
            worker_id="host-a:worker",
            attempt_count=1,
        )

    async def save(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        async with sessions() as session:
            session.add_all([job for job, _ in self.jobs])
            await session.flush()
            for job, events in self.jobs:
                session.add_all(
                    JobEvent(
                        job_id=job.id,
                        at=event.at,
                        kind=event.kind,
                        to_status=event.to_status.value if event.to_status else None,
                        actor="test",
                        message=event.message,
                        data=event.data,
                    )
                    for event in events
                )
            await session.commit()
        self.jobs.clear()


def _started(requested_at: datetime) -> list[Event]:
    return [
        Event("queued", requested_at, JobStatus.QUEUED),
        Event("started", requested_at + seconds(1), JobStatus.RUNNING, data={"attempt": 1}),
    ]
