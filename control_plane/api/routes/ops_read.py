"""Operator dashboard reads: thin shells over :class:`OpsReadService` (operator role only; vendors get 403)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, get
from litestar.datastructures import State
from litestar.params import Parameter

from control_plane.api.access import access
from control_plane.api.dependencies import AppSettings, Caller, DbSession
from control_plane.api.parameters import SINCE_FORMS
from control_plane.domain.principals import Access
from control_plane.services.ops_read import OpsReadService

Since = Annotated[
    str | None,
    Parameter(
        description="Window start: a duration back from now (24h, 7d) or an ISO 8601 time; default each SLO's.",
        schema_extra=SINCE_FORMS,
    ),
]


class OpsReadController(Controller):
    path = "/api/v1/ops"
    tags = ["operations"]

    @get("/workers", summary="Live workers, the jobs each runs, and desired vs live", opt=access(Access.OBSERVER))
    async def workers(
        self, state: State, principal: Caller, db_session: DbSession, settings: AppSettings
    ) -> dict[str, Any]:
        return await OpsReadService(db_session, state.redis, settings, actor=principal).workers()

    @get(
        "/providers",
        summary="Per provider: calls, errors, rate-limit waits, breakers and their transitions",
        opt=access(Access.OBSERVER),
    )
    async def providers(
        self, state: State, principal: Caller, db_session: DbSession, settings: AppSettings
    ) -> dict[str, Any]:
        return await OpsReadService(db_session, state.redis, settings, actor=principal).providers()

    @get("/alarms", summary="Alarms firing now and recent changes, with runbooks", opt=access(Access.OBSERVER))
    async def alarms(
        self, state: State, principal: Caller, db_session: DbSession, settings: AppSettings
    ) -> dict[str, Any]:
        return await OpsReadService(db_session, state.redis, settings, actor=principal).alarms()

    @get("/slo", summary="The SLO verifier's verdicts up to now", opt=access(Access.OBSERVER))
    async def slo(
        self, state: State, principal: Caller, db_session: DbSession, settings: AppSettings, since: Since = None
    ) -> dict[str, Any]:
        return await OpsReadService(db_session, state.redis, settings, actor=principal).slo(since)
