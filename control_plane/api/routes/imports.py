"""Import job endpoints: thin shells over :class:`ImportService`.

Commit points are decided here (the edge owns the transaction): the job row
is committed *before* it is enqueued, then its QUEUED state is committed.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, Response, get, post
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED

from control_plane.api.access import access
from control_plane.api.dependencies import (
    Admission,
    AppSettings,
    Caller,
    DbSession,
    JobChanges,
    Queue,
    RequestDb,
)
from control_plane.api.parameters import PageLimit, page_size
from control_plane.api.request_db import patient_with
from control_plane.api.schemas import CreateImport, Event, EventList, Job, JobList, Submitted
from control_plane.db.repositories.jobs import JobFilter
from control_plane.domain.errors import AdmissionRejected
from control_plane.domain.job_wait import MAX_JOB_WAIT_S, JobWait
from control_plane.domain.jobs import JobStatus
from control_plane.domain.principals import Access
from control_plane.domain.providers import Provider
from control_plane.services.imports import Filing, ImportRequest, ImportService
from control_plane.services.job_wait import JobWaiter

IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(name="Idempotency-Key", min_length=1, max_length=200, description="Repeat-safe key."),
]

REPLAYED = (
    "A repeat of an earlier submission's `Idempotency-Key` (same body): the original job, "
    "`replayed: true` and the header `Idempotent-Replayed: true`; nothing new is queued."
)


def _submitted(outcome: Filing, *, replayed: bool, status: int) -> Response[Submitted]:
    body = Submitted(Job.of(outcome.job), enqueued=outcome.enqueued, replayed=replayed, message=outcome.message)
    headers = {"Location": f"/api/v1/imports/{outcome.job.id}"}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return Response(body, status_code=status, headers=headers)


class ImportController(Controller):
    path = "/api/v1/imports"
    tags = ["imports"]

    @post(
        "/",
        status_code=HTTP_202_ACCEPTED,
        summary="Submit an import",
        opt=access(Access.TENANT_WRITE),
        responses={HTTP_200_OK: ResponseSpec(Submitted, description=REPLAYED, generate_examples=False)},
    )
    async def submit(
        self,
        data: JSONBody[CreateImport],
        principal: Caller,
        db_session: DbSession,
        queue: Queue,
        admission: Admission,
        settings: AppSettings,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[Submitted]:
        await admission.read_health()  # Redis first: no pooled database connection is held meanwhile
        service = ImportService(db_session, actor=principal)
        request = ImportRequest(
            integration_id=data.integration_id,
            options=_options(data),
            correlation_id=data.correlation_id,
        )
        try:
            submission = await service.submit(
                request, idempotency_key=idempotency_key, admission=admission, limits=settings.limits
            )
        except AdmissionRejected:
            await db_session.rollback()  # nothing was written; the decision is still counted, outside it
            raise
        else:
            await db_session.commit()  # phase 1: the job is durable before Redis sees it
        finally:
            await admission.count_decisions()
        if not submission.created:
            replay = Filing(
                submission.job,
                enqueued=submission.job.status != JobStatus.PENDING,
                message="original job returned for this Idempotency-Key",
            )
            return _submitted(replay, replayed=True, status=HTTP_200_OK)
        outcome = await service.file_submission(submission, queue)  # held (paused), deferred or enqueued now
        await db_session.commit()  # phase 2: QUEUED (or held, or the failed attempt) recorded
        return _submitted(outcome, replayed=False, status=HTTP_202_ACCEPTED)

    @get("/", summary="List import jobs, newest first", opt=access(Access.TENANT_READ))
    async def list_jobs(
        self,
        principal: Caller,
        db_session: DbSession,
        settings: AppSettings,
        status: FromQuery[JobStatus | None] = None,
        provider: FromQuery[Provider | None] = None,
        company_id: FromQuery[uuid.UUID | None] = None,
        cursor: Annotated[str | None, QueryParameter(max_length=512)] = None,
        limit: PageLimit = None,
    ) -> JobList:
        size = page_size(limit, settings)
        filters = JobFilter(
            company_scope=principal.company_scope(), company_id=company_id, status=status, provider=provider
        )
        page = await ImportService(db_session, actor=principal).list(filters, cursor=cursor, limit=size)
        return JobList(items=[Job.of(job) for job in page.items], next_cursor=page.next_cursor)

    @get(
        "/{job_id:uuid}",
        summary="One import job, now or once it moved (long-poll)",
        description=(
            f"With `wait` (seconds, at most {MAX_JOB_WAIT_S}) the answer waits until the job is no longer in "
            "`status` (without `status`: until it is terminal), or until the wait ends; it is `200` with the job "
            "as it is either way. A condition that already holds answers at once. While every database "
            "connection is busy the request waits for one as long as `wait` too, before a `503`."
        ),
        opt=access(Access.TENANT_READ) | patient_with("wait"),
    )
    async def get_job(
        self,
        job_id: FromPath[uuid.UUID],
        principal: Caller,
        request_database: RequestDb,
        job_changes: JobChanges,
        wait: Annotated[
            int,
            QueryParameter(
                ge=0,
                description=f"Seconds to wait for the job to move (0 answers now, ≤ {MAX_JOB_WAIT_S}).",
                schema_extra={"maximum": MAX_JOB_WAIT_S},  # documented; refused above it as an invalid_request
            ),
        ] = 0,
        status: Annotated[
            JobStatus | None,
            QueryParameter(description="With `wait`: answer once the job is no longer in this status (last seen)."),
        ] = None,
    ) -> Job:
        waiter = JobWaiter(request_database, job_changes, actor=principal)
        return Job.of(await waiter.get(job_id, JobWait(wait, leave=status)))

    @get("/{job_id:uuid}/events", summary="The job's timeline", opt=access(Access.TENANT_READ))
    async def job_events(self, job_id: FromPath[uuid.UUID], principal: Caller, db_session: DbSession) -> EventList:
        events = await ImportService(db_session, actor=principal).events(job_id)
        return EventList(items=[Event.of(event) for event in events])

    @post(
        "/{job_id:uuid}/cancel",
        status_code=HTTP_202_ACCEPTED,
        summary="Cancel an import",
        opt=access(Access.TENANT_WRITE),
    )
    async def cancel(self, job_id: FromPath[uuid.UUID], principal: Caller, db_session: DbSession) -> Job:
        job = await ImportService(db_session, actor=principal).cancel(job_id)
        await db_session.commit()
        return Job.of(job)

    @post(
        "/{job_id:uuid}/retry",
        status_code=HTTP_202_ACCEPTED,
        summary="Retry a failed or cancelled import",
        opt=access(Access.TENANT_WRITE),
    )
    async def retry(
        self, job_id: FromPath[uuid.UUID], principal: Caller, db_session: DbSession, queue: Queue
    ) -> Response[Submitted]:
        service = ImportService(db_session, actor=principal)
        job = await service.retry(job_id)
        await db_session.commit()
        outcome = await service.file(job, queue)
        await db_session.commit()
        return _submitted(outcome, replayed=False, status=HTTP_202_ACCEPTED)


def _options(data: CreateImport) -> dict[str, object]:
    options: dict[str, object] = {"include_images": data.options.include_images}
    if data.options.updated_since is not None:
        options["updated_since"] = data.options.updated_since.isoformat()
    if data.options.max_products is not None:
        options["max_products"] = data.options.max_products
    return options
