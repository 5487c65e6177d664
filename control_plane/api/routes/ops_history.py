"""Dashboard reads over the job store: figures over time, job search across companies, companies.

Thin shells over :class:`OpsHistoryService` (operators and viewers; vendors get 403).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, get
from litestar.params import FromQuery, QueryParameter

from control_plane.api.access import access
from control_plane.api.dependencies import AppSettings, Caller, DbSession
from control_plane.api.parameters import SINCE_FORMS, PageLimit, page_size
from control_plane.api.schemas import Job
from control_plane.db.repositories.ops_history import JobSearch
from control_plane.domain.jobs import JobStatus
from control_plane.domain.principals import Access, Tier
from control_plane.domain.providers import Provider
from control_plane.services.ops_history import OpsHistoryService

Since = Annotated[
    str,
    QueryParameter(
        max_length=64,
        description="Window start: a duration back from now (15m, 24h) or ISO 8601.",
        schema_extra=SINCE_FORMS,
    ),
]
Step = Annotated[
    int | None, QueryParameter(ge=1, le=86_400, description="Bucket length in seconds; widened to fit 120 buckets.")
]
Text = Annotated[
    str | None, QueryParameter(min_length=1, max_length=100, description="Company name/slug, or a job id prefix.")
]


class OpsHistoryController(Controller):
    path = "/api/v1/ops"
    tags = ["operations"]

    @get(
        "/history",
        summary="Queue states, throughput, success rate and run-time percentiles over time",
        opt=access(Access.OBSERVER),
    )
    async def history(
        self, principal: Caller, db_session: DbSession, since: Since = "1h", step_s: Step = None
    ) -> dict[str, Any]:
        return await OpsHistoryService(db_session, actor=principal).history(since, step_s)

    @get(
        "/jobs/search",
        summary="Jobs of every company, filtered, newest first, with their company",
        opt=access(Access.OBSERVER),
    )
    async def search_jobs(
        self,
        principal: Caller,
        db_session: DbSession,
        settings: AppSettings,
        status: FromQuery[JobStatus | None] = None,
        provider: FromQuery[Provider | None] = None,
        tier: FromQuery[Tier | None] = None,
        company_id: FromQuery[uuid.UUID | None] = None,
        q: Text = None,
        limit: PageLimit = None,
    ) -> dict[str, Any]:
        search = JobSearch(None, status=status, provider=provider, tier=tier, company_id=company_id, text=q)
        rows = await OpsHistoryService(db_session, actor=principal).search_jobs(search, page_size(limit, settings))
        return {"items": [{"job": Job.of(row["job"]), "company": row["company"]} for row in rows]}

    @get(
        "/whoami", summary="Who the credential is: subject, role and company (any role)", opt=access(Access.TENANT_READ)
    )
    async def whoami(self, principal: Caller) -> dict[str, Any]:
        company = str(principal.company_id) if principal.company_id else None
        return {"subject": principal.subject, "role": principal.role.value, "company_id": company}

    @get(
        "/companies",
        summary="Companies (id, name, slug, tier), for filters and company pauses",
        opt=access(Access.OBSERVER),
    )
    async def companies(self, principal: Caller, db_session: DbSession) -> dict[str, Any]:
        return {"items": await OpsHistoryService(db_session, actor=principal).companies()}
