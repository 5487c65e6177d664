"""Per-request dependencies: a database session, the queue, and the caller (authenticated by the access guard)."""

from __future__ import annotations

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.api.access import authenticated
from control_plane.api.request_db import RequestDatabase, request_database, request_session
from control_plane.domain.principals import Principal
from control_plane.integrations.providers.base import ProviderClientFactory
from control_plane.integrations.queue import RedisWorkQueue
from control_plane.integrations.redis_state.job_changes import JobChangeListener
from control_plane.integrations.redis_state.ops_state import RedisOpsState
from control_plane.integrations.secrets import SecretBox
from control_plane.services.admission import AdmissionService, admission_policy
from control_plane.settings import Settings


async def provide_db_session(request: Request[object, object, State]) -> AsyncSession:
    """The request's one session, shared with the access guard; what the handler did not commit is rolled back.

    ``CloseRequestDatabase`` closes it after the request, so its connection is checked out once per request.
    """
    return await request_session(request)


def provide_request_database(request: Request[object, object, State]) -> RequestDatabase:
    """The request's database itself, for a handler that hands its connection back while it waits."""
    return request_database(request)


def provide_job_changes(state: State) -> JobChangeListener:
    job_changes: JobChangeListener = state.job_changes
    return job_changes


def provide_queue(state: State) -> RedisWorkQueue:
    queue: RedisWorkQueue = state.queue
    return queue


def provide_ops_state(state: State) -> RedisOpsState:
    ops_state: RedisOpsState = state.ops_state
    return ops_state


def provide_admission(state: State, db_session: NamedDependency[AsyncSession]) -> AdmissionService:
    settings: Settings = state.settings
    return AdmissionService(db_session, state.ops_state, admission_policy(settings.ops))


def provide_secrets(state: State) -> SecretBox:
    secrets: SecretBox = state.secrets
    return secrets


def provide_provider_clients(state: State) -> ProviderClientFactory:
    clients: ProviderClientFactory = state.provider_clients
    return clients


def provide_settings(state: State) -> Settings:
    settings: Settings = state.settings
    return settings


def provide_principal(request: Request[object, object, State]) -> Principal:
    """The caller the access guard authenticated and admitted (see ``control_plane.api.access``)."""
    return authenticated(request)


DbSession = NamedDependency[AsyncSession]
"""Handler parameter `db_session`: the request's session."""
RequestDb = NamedDependency[RequestDatabase]
"""Handler parameter `request_database`: the request's session, which a handler may close and reopen."""
JobChanges = NamedDependency[JobChangeListener]
"""Handler parameter `job_changes`: the process's subscriber to announced job status moves."""
Queue = NamedDependency[RedisWorkQueue]
"""Handler parameter `queue`: the arq queue adapter."""
Caller = NamedDependency[Principal]
"""Handler parameter `principal`: the authenticated caller."""
AppSettings = NamedDependency[Settings]
"""Handler parameter `settings`: the application's settings."""
OpsState = NamedDependency[RedisOpsState]
"""Handler parameter `ops_state`: pauses, queue depth and admission counts in Redis."""
Admission = NamedDependency[AdmissionService]
"""Handler parameter `admission`: the backpressure decision for new jobs."""
