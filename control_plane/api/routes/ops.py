"""Operator controls: thin shells over :class:`OpsService` (operator role only; vendors get 403).

Every state-changing action is audited in ``ops_actions`` in the same
transaction the handler commits.
"""

from __future__ import annotations

from dataclasses import asdict

from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED

from control_plane.api.access import access
from control_plane.api.dependencies import Admission, AppSettings, Caller, DbSession, OpsState, Queue
from control_plane.api.ops_schemas import (
    Action,
    ActionList,
    AdmissionOut,
    Draining,
    DrainRequest,
    PauseOut,
    PauseRequest,
    Resumed,
    RetriedDead,
    RetryDeadRequest,
)
from control_plane.api.ops_schemas import OpsState as OpsStateOut
from control_plane.api.parameters import PageLimit, page_size
from control_plane.api.schemas import Job, JobList
from control_plane.domain.backpressure import admission_table
from control_plane.domain.errors import DependencyUnavailable
from control_plane.domain.principals import Access
from control_plane.services.metrics import presence
from control_plane.services.ops_controls import OpsService


class OpsController(Controller):
    path = "/api/v1/ops"
    tags = ["operations"]

    @post(
        "/pause",
        status_code=HTTP_200_OK,
        summary="Pause the queue, a provider or a company",
        opt=access(Access.OPERATOR),
    )
    async def pause(
        self, data: JSONBody[PauseRequest], principal: Caller, db_session: DbSession, ops_state: OpsState
    ) -> PauseOut:
        pause = await OpsService(db_session, ops_state, actor=principal).pause(data.scope, data.target, data.reason)
        await db_session.commit()
        return PauseOut.of(pause)

    @post(
        "/resume",
        status_code=HTTP_200_OK,
        summary="Resume, and bring the scope's waiting jobs forward",
        opt=access(Access.OPERATOR),
    )
    async def resume(
        self, data: JSONBody[PauseRequest], principal: Caller, db_session: DbSession, ops_state: OpsState, queue: Queue
    ) -> Resumed:
        service = OpsService(db_session, ops_state, actor=principal)
        resumed = await service.resume(data.scope, data.target, data.reason, queue)
        await db_session.commit()
        key = data.scope if data.target is None or data.scope == "queue" else f"{data.scope}:{data.target}"
        return Resumed(key=key, was_paused=resumed.was_paused, requeued=resumed.requeued)

    @get("/state", summary="Queue tier, depth, admission per client tier, pauses", opt=access(Access.OBSERVER))
    async def state(self, principal: Caller, admission: Admission) -> OpsStateOut:
        principal.ensure_observer()
        health = await admission.health()
        try:
            counts = await admission.counts()
        except DependencyUnavailable:
            counts = {}
        return OpsStateOut(
            tier=health.tier.value,
            depth=health.depth,
            depth_source=health.depth_source,
            thresholds=asdict(admission.policy.thresholds),
            admission={k: AdmissionOut.of(v) for k, v in admission_table(health.tier, admission.policy).items()},
            paused=[PauseOut.of(pause) for pause in health.pauses],
            admissions_today=counts,
        )

    @post(
        "/retry-dead",
        status_code=HTTP_200_OK,
        summary="Retry every FAILED job of a company and/or provider",
        opt=access(Access.OPERATOR),
    )
    async def retry_dead(
        self,
        data: JSONBody[RetryDeadRequest],
        principal: Caller,
        db_session: DbSession,
        ops_state: OpsState,
        queue: Queue,
    ) -> RetriedDead:
        """``{}`` retries FAILED jobs of every company (at most a batch per call)."""
        request = data
        service = OpsService(db_session, ops_state, actor=principal)
        jobs = await service.reset_dead(request.company_id, request.provider)
        await db_session.commit()  # DB first: PENDING and audited before the queue sees them
        enqueued = await service.enqueue_all(jobs, queue)
        await db_session.commit()
        return RetriedDead(retried=len(jobs), enqueued=enqueued)

    @post(
        "/workers/{worker_id:str}/drain",
        status_code=HTTP_202_ACCEPTED,
        summary="Drain one worker: it takes no new job, finishes or hands back its jobs, and exits",
        opt=access(Access.OPERATOR),
    )
    async def drain_worker(
        self,
        worker_id: FromPath[str],
        data: JSONBody[DrainRequest],
        principal: Caller,
        db_session: DbSession,
        ops_state: OpsState,
        state: State,
        settings: AppSettings,
    ) -> Draining:
        service = OpsService(db_session, ops_state, actor=principal)
        await service.drain_worker(worker_id, data.reason, presence(state.redis, settings))
        await db_session.commit()
        return Draining(worker_id=worker_id, message="the worker drains on its next heartbeat, then exits")

    @get("/jobs/recent", summary="The newest jobs of every company", opt=access(Access.OPERATOR))
    async def recent_jobs(
        self,
        principal: Caller,
        db_session: DbSession,
        ops_state: OpsState,
        settings: AppSettings,
        limit: PageLimit = None,
    ) -> JobList:
        jobs = await OpsService(db_session, ops_state, actor=principal).recent_jobs(page_size(limit, settings))
        return JobList(items=[Job.of(job) for job in jobs], next_cursor=None)

    @get("/actions", summary="The operator audit trail, newest first", opt=access(Access.OPERATOR))
    async def actions(
        self,
        principal: Caller,
        db_session: DbSession,
        ops_state: OpsState,
        settings: AppSettings,
        limit: PageLimit = None,
    ) -> ActionList:
        rows = await OpsService(db_session, ops_state, actor=principal).actions(page_size(limit, settings))
        return ActionList(items=[Action.of(row) for row in rows])
