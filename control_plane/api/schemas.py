"""Wire shapes of the API (msgspec structs: validated on the way in, typed in OpenAPI)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from control_plane.db.models import ImportJob, JobEvent

ShortText = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Count = Annotated[int, msgspec.Meta(ge=1, le=10_000)]
Moment = Annotated[
    datetime,
    msgspec.Meta(
        description="An RFC 3339 time.",
        extra_json_schema={
            "format": "date-time",
            "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})?$",
        },
    ),
]
"""A time a client sends: the pattern states in the schema what the decoder takes (a ``format`` alone is advisory)."""


class ImportOptions(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """What to import; every field optional."""

    updated_since: Moment | None = None
    max_products: Count | None = None
    include_images: bool = True


class CreateImport(msgspec.Struct, forbid_unknown_fields=True):
    integration_id: uuid.UUID
    options: ImportOptions = msgspec.field(default_factory=ImportOptions)
    correlation_id: ShortText | None = None


class Progress(msgspec.Struct):
    products_total: int | None
    products_processed: int
    products_failed: int
    images_total: int
    images_processed: int
    images_failed: int
    products_removed: int
    """Products a full import no longer found at the provider (marked removed, not deleted)."""
    images_removed: int
    """Image rows dropped because their product no longer lists them or was removed."""


class Job(msgspec.Struct):
    id: uuid.UUID
    company_id: uuid.UUID
    integration_id: uuid.UUID
    provider: str
    tier: str
    status: str
    options: dict[str, Any]
    attempt_count: int
    max_attempts: int
    progress: Progress
    requested_at: datetime
    queued_at: datetime | None
    started_at: datetime | None
    heartbeat_at: datetime | None
    finished_at: datetime | None
    cancel_requested_at: datetime | None
    worker_id: str | None
    last_error: str | None
    correlation_id: str
    idempotency_key: str | None

    @classmethod
    def of(cls, job: ImportJob) -> Job:
        progress = Progress(
            products_total=job.products_total,
            products_processed=job.products_processed,
            products_failed=job.products_failed,
            images_total=job.images_total,
            images_processed=job.images_processed,
            images_failed=job.images_failed,
            products_removed=job.products_removed,
            images_removed=job.images_removed,
        )
        return cls(
            id=job.id,
            company_id=job.company_id,
            integration_id=job.integration_id,
            provider=job.provider.value,
            tier=job.tier.value,
            status=job.status.value,
            options=job.options,
            attempt_count=job.attempt_count,
            max_attempts=job.max_attempts,
            progress=progress,
            requested_at=job.requested_at,
            queued_at=job.queued_at,
            started_at=job.started_at,
            heartbeat_at=job.heartbeat_at,
            finished_at=job.finished_at,
            cancel_requested_at=job.cancel_requested_at,
            worker_id=job.worker_id,
            last_error=job.last_error,
            correlation_id=job.correlation_id,
            idempotency_key=job.idempotency_key,
        )


class Submitted(msgspec.Struct):
    """Answer to a submission or retry: the job, and honestly whether it is on the queue."""

    job: Job
    enqueued: bool
    replayed: bool
    message: str


class JobList(msgspec.Struct):
    items: list[Job]
    next_cursor: str | None


class Event(msgspec.Struct):
    id: int
    at: datetime
    kind: str
    from_status: str | None
    to_status: str | None
    actor: str
    message: str | None
    data: dict[str, Any]

    @classmethod
    def of(cls, event: JobEvent) -> Event:
        return cls(
            id=event.id,
            at=event.at,
            kind=event.kind,
            from_status=event.from_status,
            to_status=event.to_status,
            actor=event.actor,
            message=event.message,
            data=event.data,
        )


class EventList(msgspec.Struct):
    items: list[Event]


ReadinessStatus = Literal["ok", "degraded", "unavailable"]


class Readiness(msgspec.Struct):
    status: ReadinessStatus
    """``degraded``: ready, but a dependency answers slowly (its check says how slowly)."""
    checks: dict[str, str]
