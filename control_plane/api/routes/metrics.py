"""Prometheus ``/metrics`` and the autoscaler's answer for operators.

``/metrics`` takes no credentials, as scrapers expect: it must only be reachable
from inside the network boundary (the load balancer does not route it). It
reveals counts, states and scope names, never tenant data.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from litestar import Response, get
from litestar.datastructures import State

from control_plane.api.access import NO_CREDENTIAL, access
from control_plane.api.dependencies import Caller, DbSession
from control_plane.api.problem_docs import problem_response
from control_plane.domain.principals import Access
from control_plane.integrations.metrics.ops_state import AutoscalerStore
from control_plane.integrations.metrics.prometheus import CONTENT_TYPE, render
from control_plane.services.metrics import MetricsService


@get(
    "/metrics",
    tags=["ops"],
    summary="Prometheus metrics (no auth: keep behind the network boundary)",
    opt=access(Access.PUBLIC),
    security=NO_CREDENTIAL,
    media_type=CONTENT_TYPE,
    responses={503: problem_response(503)},  # it reads PostgreSQL and Redis
)
async def metrics(state: State, db_session: DbSession) -> Response[bytes]:
    exposition = await MetricsService(db_session, state.redis, state.settings).exposition()
    return Response(render(exposition), media_type=CONTENT_TYPE)


@get(
    "/api/v1/ops/autoscaler",
    tags=["ops"],
    summary="Workers the autoscaler asks for, and its last decisions",
    opt=access(Access.OBSERVER),
)
async def autoscaler(state: State, principal: Caller) -> dict[str, Any]:
    principal.ensure_observer()
    store = AutoscalerStore(state.redis)
    last = await store.last()
    return {
        "desired_workers": last.desired if last is not None else None,
        "last": asdict(last) if last is not None else None,
        "recent": [asdict(decision) for decision in await store.recent()],
    }
