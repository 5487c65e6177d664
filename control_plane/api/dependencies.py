"""Per-request dependencies: a database session, the queue, and the caller."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException
from litestar.security.jwt import Token
from sqlalchemy.ext.asyncio import AsyncSession

from control_plane.domain.errors import AuthenticationFailed
from control_plane.domain.principals import Principal, Role
from control_plane.integrations.providers.base import ProviderClientFactory
from control_plane.integrations.queue import ArqJobQueue
from control_plane.integrations.redis_state.ops_state import RedisOpsState
from control_plane.integrations.secrets import SecretBox
from control_plane.services.admission import AdmissionService, admission_policy
from control_plane.services.credentials import authenticate_api_key, looks_like_api_key
from control_plane.services.limits import ApiRateLimiter
from control_plane.settings import Settings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
"""The only methods a read-only (viewer) credential may use."""


async def provide_db_session(state: State) -> AsyncGenerator[AsyncSession, None]:
    """One session per request; anything the handler did not commit is rolled back."""
    async with state.sessions() as session:
        yield session


def provide_queue(state: State) -> ArqJobQueue:
    queue: ArqJobQueue = state.queue
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


def _bearer_token(request: Request[object, object, State]) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationFailed("send `Authorization: Bearer <API key or JWT>`")
    return token.strip()


def _principal_from_jwt(token: str, settings: Settings) -> Principal:
    auth = settings.auth
    try:
        decoded = Token.decode(
            token,
            secret=auth.jwt_secret.get_secret_value(),
            algorithm=auth.jwt_algorithm,
            audience=auth.jwt_audience,
            issuer=auth.jwt_issuer,
            require_claims=["exp", "sub", "iss", "aud"],
        )
    except NotAuthorizedException as exc:
        raise AuthenticationFailed("invalid or expired token") from exc
    try:
        role = Role(decoded.extras.get("role", ""))
        raw_company = decoded.extras.get("company_id")
        company_id = uuid.UUID(str(raw_company)) if raw_company is not None else None
    except ValueError as exc:
        raise AuthenticationFailed("token carries an invalid role or company_id") from exc
    if role is Role.VENDOR and company_id is None:
        raise AuthenticationFailed("a vendor token must carry company_id")
    return Principal(subject=f"jwt:{decoded.sub}", role=role, company_id=company_id)


async def provide_principal(
    request: Request[object, object, State],
    db_session: NamedDependency[AsyncSession],
    settings: NamedDependency[Settings],
) -> Principal:
    token = _bearer_token(request)
    if looks_like_api_key(token):
        principal = await authenticate_api_key(
            db_session, token, pepper=settings.auth.api_key_pepper.get_secret_value()
        )
        await db_session.commit()  # keeps last-used time even if the handler fails
    else:
        principal = _principal_from_jwt(token, settings)
    if request.method not in SAFE_METHODS:
        principal.ensure_may_change()
    await ApiRateLimiter(request.app.state.redis, settings.limits).admit(principal)  # per company, 429 when spent
    return principal


DbSession = NamedDependency[AsyncSession]
"""Handler parameter `db_session`: the request's session."""
Queue = NamedDependency[ArqJobQueue]
"""Handler parameter `queue`: the arq queue adapter."""
Caller = NamedDependency[Principal]
"""Handler parameter `principal`: the authenticated caller."""
AppSettings = NamedDependency[Settings]
"""Handler parameter `settings`: the application's settings."""
OpsState = NamedDependency[RedisOpsState]
"""Handler parameter `ops_state`: pauses, queue depth and admission counts in Redis."""
Admission = NamedDependency[AdmissionService]
"""Handler parameter `admission`: the backpressure decision for new jobs."""
