"""The dashboard's extra reads: figures over time, job search across companies, the companies to filter by.

Operators and viewers only; vendors are refused by the constructor.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.db.models import Company
from control_plane.db.repositories.ops_history import HistoryPoint, JobSearch, OpsHistoryRepository
from control_plane.domain.history import bucket_starts, success_rate
from control_plane.domain.principals import Principal
from control_plane.services.ops_read import parse_since

COMPANIES_SHOWN = 500


def _point(point: HistoryPoint) -> dict[str, Any]:
    p50, p95, p99 = point.duration_s or (None, None, None)
    return {
        "at": point.start.isoformat(),
        "waiting": point.waiting,
        "active": point.active,
        "dead": point.dead,
        "completed": point.completed,
        "failed": point.failed,
        "success_rate": success_rate(point.completed, point.failed),
        "duration_p50_s": p50,
        "duration_p95_s": p95,
        "duration_p99_s": p99,
    }


def company_out(company: Company) -> dict[str, Any]:
    return {"id": str(company.id), "name": company.name, "slug": company.slug, "tier": company.tier.value}


class OpsHistoryService:
    def __init__(self, session: AsyncSession, *, actor: Principal) -> None:
        actor.ensure_observer()
        self._actor = actor
        self._repo = OpsHistoryRepository(session)

    async def history(self, since: str, step_s: int | None) -> dict[str, Any]:
        """Queue states, throughput, success rate and run-time percentiles per bucket over [since, now)."""
        until = await self._repo.now()
        starts, step = bucket_starts(parse_since(since, until), until, step_s)
        points = await self._repo.history(starts, step, until, company_scope=self._actor.company_scope())
        return {
            "since": starts[0].isoformat(),
            "until": until.isoformat(),
            "step_s": step,
            "points": [{**_point(p), "throughput_per_min": (p.completed + p.failed) * 60 / step} for p in points],
        }

    async def search_jobs(self, search: JobSearch, limit: int) -> list[dict[str, Any]]:
        fenced = JobSearch(
            company_scope=self._actor.company_scope(),
            status=search.status,
            provider=search.provider,
            tier=search.tier,
            company_id=search.company_id,
            text=search.text,
        )
        rows = await self._repo.search_jobs(fenced, limit)
        return [{"job": job, "company": company_out(company)} for job, company in rows]

    async def companies(self) -> list[dict[str, Any]]:
        rows = await self._repo.companies(company_scope=self._actor.company_scope(), limit=COMPANIES_SHOWN)
        return [company_out(company) for company in rows]
