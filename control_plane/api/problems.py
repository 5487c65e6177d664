"""Every error leaves the API as an RFC 9457 problem document naming its cause.

A client's mistake is a 4xx that names the field; an unreachable dependency is
a 503 with Retry-After; only our own bugs are a 500, and those never leak
internals.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, SerializationException, ValidationException
from litestar.types import ExceptionHandlersMap
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from control_plane.domain import errors
from control_plane.domain.limits import QuotaExceeded, RateLimitExceeded
from control_plane.domain.mapping.errors import ProviderCallFailed

PROBLEM_MEDIA_TYPE = "application/problem+json"
RETRY_AFTER_S = "5"
log = logging.getLogger("control_plane.api")

_DOMAIN_STATUS: dict[type[errors.DomainError], int] = {
    errors.NotFound: 404,
    errors.PermissionDenied: 403,
    errors.InvalidRequest: 422,
    errors.Conflict: 409,
    errors.AuthenticationFailed: 401,
    errors.DependencyUnavailable: 503,
    ProviderCallFailed: 502,
}


def problem(
    request: Request[Any, Any, Any],
    status: int,
    *,
    code: str,
    detail: str,
    field_errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {
        "type": f"urn:import-control-plane:problem:{code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    if field_errors:
        body["errors"] = field_errors
    body.update(extra or {})
    return Response(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


BODY_PARAMETER = "data"
"""Litestar's name for the request body's parameter; clients know it as the body."""


def _wire_name(request: Request[Any, Any, Any], key: str) -> str:
    """The name the client used (e.g. the header `Idempotency-Key`, the body), not the Python one."""
    if key == BODY_PARAMETER:
        return "body"
    try:
        parameter = request.route_handler.parsed_fn_signature.parameters.get(key)
    except AttributeError:  # no handler resolved (e.g. routing failed)
        return key
    definition = getattr(parameter, "kwarg_definition", None)
    return str(getattr(definition, "name", None) or key)


def _validation_errors(request: Request[Any, Any, Any], extra: Any) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []
    for item in extra if isinstance(extra, list) else []:
        if isinstance(item, dict):
            key = str(item.get("key", "body"))
            entry = {"field": _wire_name(request, key), "message": str(item.get("message", ""))}
            if "source" in item:
                entry["source"] = str(getattr(item["source"], "value", item["source"]))
            found.append(entry)
    return found


def _on_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if isinstance(exc.__cause__, SerializationException):
        detail = f"the request body is not valid JSON: {exc.detail}"
        return problem(
            request,
            400,
            code="malformed_body",
            detail=detail,
            field_errors=[{"field": "body", "message": detail}],
        )
    if isinstance(exc, ValidationException):
        fields = _validation_errors(request, exc.extra)
        names = ", ".join(f["field"] for f in fields) or "request"
        return problem(request, 400, code="validation_failed", detail=f"invalid {names}", field_errors=fields)
    status = exc.status_code
    code = HTTPStatus(status).phrase.lower().replace(" ", "_")
    return problem(request, status, code=code, detail=exc.detail, headers=exc.headers)


def _on_domain_error(request: Request[Any, Any, Any], exc: errors.DomainError) -> Response[Any]:
    status = next((s for kind, s in _DOMAIN_STATUS.items() if isinstance(exc, kind)), 400)
    headers: dict[str, str] = {}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="import-control-plane"'
    if status == 503:
        headers["Retry-After"] = RETRY_AFTER_S
    fields = [{"field": field, "message": message} for field, message in exc.field_errors()] or None
    return problem(request, status, code=exc.code, detail=exc.detail, field_errors=fields, headers=headers)


def _on_admission_rejected(request: Request[Any, Any, Any], exc: errors.AdmissionRejected) -> Response[Any]:
    """Backpressure: 503 naming the queue's tier, with the Retry-After the tier calls for."""
    return problem(
        request,
        503,
        code=exc.code,
        detail=exc.detail,
        headers={"Retry-After": str(exc.retry_after_s)},
        extra={"queue_tier": exc.queue_tier, "retry_after_s": exc.retry_after_s},
    )


def _on_rate_limited(request: Request[Any, Any, Any], exc: RateLimitExceeded) -> Response[Any]:
    retry = str(exc.retry_after_s)
    return problem(
        request, 429, code=exc.code, detail=exc.detail, headers={"Retry-After": retry}, extra={"retry_after_s": retry}
    )


def _on_quota_exceeded(request: Request[Any, Any, Any], exc: QuotaExceeded) -> Response[Any]:
    """429 (with Retry-After) for a cap that frees itself, such as active imports; 409 for stored bytes."""
    headers = {"Retry-After": str(exc.retry_after_s)} if exc.retry_after_s else None
    return problem(
        request,
        429 if exc.retry_after_s else 409,
        code=exc.code,
        detail=exc.detail,
        field_errors=[{"field": field, "message": message} for field, message in exc.field_errors()],
        headers=headers,
        extra={"limit": exc.limit, "current": exc.current},
    )


def _on_database_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    unreachable = isinstance(exc, OperationalError | InterfaceError | PoolTimeout | OSError | TimeoutError) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    )
    if not unreachable:
        return _on_unexpected(request, exc)
    if isinstance(exc, PoolTimeout):  # reachable but every connection is busy: overload, not an outage
        log.warning("database connection pool exhausted")
        return problem(
            request,
            503,
            code="database_busy",
            detail="every database connection is in use; nothing was changed, retry later",
            headers={"Retry-After": RETRY_AFTER_S},
        )
    log.warning("database unavailable: %s", type(exc).__name__)
    return problem(
        request,
        503,
        code="dependency_unavailable",
        detail="the database is unavailable; nothing was changed, retry later",
        headers={"Retry-After": RETRY_AFTER_S},
    )


def _on_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(request, 500, code="internal_error", detail="an unexpected error occurred; it has been logged")


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    HTTPException: _on_http_exception,
    errors.DomainError: _on_domain_error,
    errors.AdmissionRejected: _on_admission_rejected,
    RateLimitExceeded: _on_rate_limited,
    QuotaExceeded: _on_quota_exceeded,
    DBAPIError: _on_database_error,
    PoolTimeout: _on_database_error,
    OSError: _on_database_error,
    TimeoutError: _on_database_error,
    Exception: _on_unexpected,
}

__all__ = ["EXCEPTION_HANDLERS", "problem"]
