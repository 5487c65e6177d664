"""Liveness (the process answers) and readiness (its dependencies answer)."""

from __future__ import annotations

from litestar import Response, get
from litestar.datastructures import State
from litestar.openapi import ResponseSpec

from control_plane.api.access import NO_CREDENTIAL, access
from control_plane.api.schemas import Readiness, ReadinessStatus
from control_plane.domain.principals import Access
from control_plane.services.health import check_readiness


@get("/health/live", tags=["health"], summary="The process is up", opt=access(Access.PUBLIC), security=NO_CREDENTIAL)
async def live() -> dict[str, str]:
    return {"status": "ok"}


@get(
    "/health/ready",
    tags=["health"],
    summary="PostgreSQL and Redis are reachable",
    description="`status` is `ok`, `degraded` (ready, but a dependency answers slowly; its check says how slowly) "
    "or `unavailable` (503).",
    opt=access(Access.PUBLIC),
    security=NO_CREDENTIAL,
    responses={503: ResponseSpec(Readiness, description="A dependency does not answer (see `checks`); retry later.")},
)
async def ready(state: State) -> Response[Readiness]:
    checks = await check_readiness(state.sessions, state.queue)
    ok = all(check.ok for check in checks)
    status: ReadinessStatus = "unavailable" if not ok else "degraded" if any(c.slow for c in checks) else "ok"
    body = Readiness(status=status, checks={c.name: c.detail for c in checks})
    return Response(body, status_code=200 if ok else 503, headers={} if ok else {"Retry-After": "5"})
