"""Every route declares its access in ``opt``; one app-wide guard authenticates and enforces it.

The declaration is data (``route_handler.opt["access"]``), so a test can list
every route with what it admits. A route without one is refused (fail closed).
Services keep their own role checks: the guard is the first fence, not the only one.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from jwt import InvalidSignatureError
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers import HTTPRouteHandler
from litestar.handlers.base import BaseRouteHandler
from litestar.security.jwt import Token

from control_plane.api.request_db import SAFE_METHODS, request_session
from control_plane.api.tenant_admission import tenant_admission
from control_plane.domain.errors import AuthenticationFailed, PermissionDenied
from control_plane.domain.principals import Access, Principal, Role
from control_plane.services.credentials import authenticate_api_key, hash_api_key, looks_like_api_key
from control_plane.settings import AuthSettings, Settings

ACCESS_OPT = "access"
log = logging.getLogger("control_plane.api")

Connection = ASGIConnection[Any, Any, Any, Any]


def access(level: Access) -> dict[str, Any]:
    """The ``opt`` a route handler (or router) declares its access with."""
    return {ACCESS_OPT: level}


NO_CREDENTIAL: list[dict[str, list[str]]] = [{}]
"""OpenAPI ``security`` of a public route: an empty requirement, i.e. no credential."""


def declared_access(route_handler: BaseRouteHandler) -> Access | None:
    level = route_handler.opt.get(ACCESS_OPT)
    return level if isinstance(level, Access) else None


async def authorize(connection: Connection, route_handler: BaseRouteHandler) -> None:
    """The guard: public routes pass; others need a credential whose role the route admits."""
    level = declared_access(route_handler)
    if level is None and isinstance(route_handler, HTTPRouteHandler) and route_handler.http_methods == {"OPTIONS"}:
        return  # the framework's own OPTIONS answer: the Allow header only (CORS is closed)
    if level is None:
        log.error("route %s declares no access; refused", connection.url.path)
        raise PermissionDenied("this endpoint declares no access and is refused")
    if level is Access.PUBLIC:
        return
    settings: Settings = connection.app.state.settings
    principal = await _authenticate(connection, settings)
    if connection.scope.get("method") not in SAFE_METHODS:
        principal.ensure_may_change()  # a viewer is told it is read-only, whatever the route
    principal.ensure_access(level)
    connection.state.principal = principal


def authenticated(connection: Connection) -> Principal:
    """The caller the guard admitted (handlers of public routes have none)."""
    principal = getattr(connection.state, "principal", None)
    if not isinstance(principal, Principal):
        raise AuthenticationFailed("send `Authorization: Bearer <API key or JWT>`")
    return principal


async def _authenticate(connection: Connection, settings: Settings) -> Principal:
    """The caller, admitted for its company (429 when refused) before its database connection is opened."""
    token = _bearer_token(connection)
    edge = tenant_admission(connection)
    if not looks_like_api_key(token):
        principal = _principal_from_jwt(token, settings)
        await edge.admit(connection, principal)
        return principal
    pepper = settings.auth.api_key_pepper.get_secret_value()
    key_hash = hash_api_key(token, pepper)
    known = edge.credentials.get(key_hash)
    if known is None:
        async with edge.credentials.learning(key_hash):  # a new key's concurrent requests wait for its first
            known = edge.credentials.get(key_hash)
            if known is None:
                async with edge.credentials.unknown_at_once:
                    principal = await _authenticate_key(connection, token, pepper)
                edge.credentials.learn(key_hash, principal)
                await edge.admit(connection, principal)
                return principal
    await edge.admit(connection, known)
    try:
        return await _authenticate_key(connection, token, pepper)  # revoked since it was learned: refused now
    except AuthenticationFailed:
        edge.credentials.forget(key_hash)
        raise


async def _authenticate_key(connection: Connection, token: str, pepper: str) -> Principal:
    session = await request_session(connection)  # the request's one connection, reused by the handler
    principal = await authenticate_api_key(session, token, pepper=pepper)
    await session.commit()  # keeps the last-used time whatever the handler does
    return principal


def _bearer_token(connection: Connection) -> str:
    scheme, _, token = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationFailed("send `Authorization: Bearer <API key or JWT>`")
    return token.strip()


def _decode_jwt(token: str, auth: AuthSettings) -> Token:
    """The token verified with the current key or, during a rotation, a previous one (a ``kid`` is not needed).

    Only a signature mismatch moves on to the next key: a token one key signed but
    that is expired or addressed elsewhere is refused as it is.
    """
    failure: NotAuthorizedException | None = None
    for secret in (auth.jwt_secret, *auth.jwt_previous_secrets):
        try:
            return Token.decode(
                token,
                secret=secret.get_secret_value(),
                algorithm=auth.jwt_algorithm,
                audience=auth.jwt_audience,
                issuer=auth.jwt_issuer,
                require_claims=["exp", "sub", "iss", "aud"],
            )
        except NotAuthorizedException as exc:
            failure = exc
            if not isinstance(exc.__cause__, InvalidSignatureError):
                break
    raise AuthenticationFailed("invalid or expired token") from failure


def _principal_from_jwt(token: str, settings: Settings) -> Principal:
    decoded = _decode_jwt(token, settings.auth)
    try:
        role = Role(decoded.extras.get("role", ""))
        raw_company = decoded.extras.get("company_id")
        company_id = uuid.UUID(str(raw_company)) if raw_company is not None else None
    except ValueError as exc:
        raise AuthenticationFailed("token carries an invalid role or company_id") from exc
    if role is Role.VENDOR and company_id is None:
        raise AuthenticationFailed("a vendor token must carry company_id")
    return Principal(subject=f"jwt:{decoded.sub}", role=role, company_id=company_id)
