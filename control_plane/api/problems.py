"""Every error leaves the API as an RFC 9457 problem document naming its cause.

Litestar's problem-details plugin turns each error into a
:class:`ProblemDetailsException`; :data:`STATUS` is the one table that says
which status each error gets.  A client's mistake is a 4xx that names the
field: 400 when the request does not decode into what the handler declares
(malformed JSON, a wrong type, a missing field, a bound declared in the schema
such as a name's length), so no code of ours ran; 422 when it decodes but our
rules reject it (a configured page-size cap, an unknown integration, an invalid
mapping, a malformed cursor).  An
unreachable dependency is a 503 with Retry-After; only our own bugs are a 500,
and those never leak internals.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, SerializationException, ValidationException
from litestar.plugins.problem_details import ProblemDetailsConfig, ProblemDetailsException, ProblemDetailsPlugin
from litestar.types import ExceptionHandlersMap
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from control_plane.db.engine import database_unreachable
from control_plane.domain import errors
from control_plane.domain.limits import QuotaExceeded, RateLimitExceeded
from control_plane.domain.mapping.errors import ProviderCallFailed

PROBLEM_MEDIA_TYPE = "application/problem+json"
RETRY_AFTER_S = "5"
log = logging.getLogger("control_plane.api")

MALFORMED = 400
"""The request does not decode into what the handler declares (see the module docstring)."""
UNPROCESSABLE = 422
"""The request decodes, but our rules reject it."""

STATUS: dict[type[Exception], int] = {
    SerializationException: MALFORMED,
    ValidationException: MALFORMED,
    errors.InvalidRequest: UNPROCESSABLE,
    errors.AuthenticationFailed: 401,
    errors.PermissionDenied: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    QuotaExceeded: 409,  # a storage quota; a cap that frees itself (active imports) is a 429 instead
    RateLimitExceeded: 429,
    ProviderCallFailed: 502,
    errors.DependencyUnavailable: 503,
    PoolTimeout: 503,
    errors.DomainError: 400,
}
"""Each error's status, most specific first; an ``HTTPException`` keeps its own."""


def status_of(exc: Exception) -> int:
    return next(status for kind, status in STATUS.items() if isinstance(exc, kind))


class Problem(ProblemDetailsException):
    """A problem document with this API's members: ``type`` from a stable code, the path as ``instance``."""

    def __init__(
        self,
        status: int,
        *,
        code: str,
        detail: str,
        field_errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(
            detail=detail,
            status_code=status,
            headers=headers,
            extra=extra or {},
            type_=f"urn:import-control-plane:problem:{code}",
            title=HTTPStatus(status).phrase,
        )
        self.field_errors = field_errors

    def errors_for(self, request: Request[Any, Any, Any]) -> list[dict[str, str]] | None:
        return self.field_errors

    def to_response(self, request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
        body: dict[str, Any] = {
            "type": self.type_,
            "title": self.title,
            "status": self.status_code,
            "detail": self.detail,
            "instance": request.url.path,
        }
        if found := self.errors_for(request):
            body["errors"] = found
        body.update(self.extra if isinstance(self.extra, dict) else {})
        return Response(body, status_code=self.status_code, media_type=PROBLEM_MEDIA_TYPE, headers=self.headers)


BODY_PARAMETER = "data"
"""Litestar's name for the request body's parameter; clients know it as the body."""


class ValidationProblem(Problem):
    """Litestar's validation failures, with each field named as the client wrote it."""

    def __init__(self, items: Any) -> None:
        super().__init__(MALFORMED, code="validation_failed", detail="")
        self._items = [item for item in (items if isinstance(items, list) else []) if isinstance(item, dict)]

    def errors_for(self, request: Request[Any, Any, Any]) -> list[dict[str, str]] | None:
        found: list[dict[str, str]] = []
        for item in self._items:
            entry = {
                "field": _wire_name(request, str(item.get("key", "body"))),
                "message": str(item.get("message", "")),
            }
            if "source" in item:
                entry["source"] = str(getattr(item["source"], "value", item["source"]))
            found.append(entry)
        return found

    def to_response(self, request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
        names = ", ".join(entry["field"] for entry in self.errors_for(request) or []) or "request"
        self.detail = f"invalid {names}"
        return super().to_response(request)


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


def _from_http_exception(exc: HTTPException) -> Problem:
    if isinstance(exc.__cause__, SerializationException):
        detail = f"the request body is not valid JSON: {exc.detail}"
        field_errors = [{"field": "body", "message": detail}]
        return Problem(status_of(exc.__cause__), code="malformed_body", detail=detail, field_errors=field_errors)
    if isinstance(exc, ValidationException):
        return ValidationProblem(exc.extra)
    code = HTTPStatus(exc.status_code).phrase.lower().replace(" ", "_")
    return Problem(exc.status_code, code=code, detail=exc.detail, headers=exc.headers)


def _from_domain_error(exc: errors.DomainError) -> Problem:
    status = status_of(exc)
    headers: dict[str, str] = {}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="import-control-plane"'
    if status == 503:
        headers["Retry-After"] = RETRY_AFTER_S
    fields = [{"field": field, "message": message} for field, message in exc.field_errors()] or None
    return Problem(status, code=exc.code, detail=exc.detail, field_errors=fields, headers=headers)


def _from_admission_rejected(exc: errors.AdmissionRejected) -> Problem:
    """Backpressure: 503 naming the queue's tier, with the Retry-After the tier calls for."""
    return Problem(
        status_of(exc),
        code=exc.code,
        detail=exc.detail,
        headers={"Retry-After": str(exc.retry_after_s)},
        extra={"queue_tier": exc.queue_tier, "retry_after_s": exc.retry_after_s},
    )


def _from_rate_limited(exc: RateLimitExceeded) -> Problem:
    retry = str(exc.retry_after_s)
    return Problem(
        status_of(exc), code=exc.code, detail=exc.detail, headers={"Retry-After": retry}, extra={"retry_after_s": retry}
    )


def _from_quota_exceeded(exc: QuotaExceeded) -> Problem:
    """409 for stored bytes; 429 (with Retry-After) for a cap that frees itself, such as active imports."""
    headers = {"Retry-After": str(exc.retry_after_s)} if exc.retry_after_s else None
    return Problem(
        429 if exc.retry_after_s else status_of(exc),
        code=exc.code,
        detail=exc.detail,
        field_errors=[{"field": field, "message": message} for field, message in exc.field_errors()],
        headers=headers,
        extra={"limit": exc.limit, "current": exc.current},
    )


def _database_problem(exc: Exception) -> Problem | None:
    """503 when the database is unreachable or every connection is busy; None for anything else (a bug)."""
    if not database_unreachable(exc):
        return None
    headers = {"Retry-After": RETRY_AFTER_S}
    if isinstance(exc, PoolTimeout):  # reachable but every connection is busy: overload, not an outage
        log.warning("database connection pool exhausted")
        detail = "every database connection is in use; nothing was changed, retry later"
        return Problem(status_of(exc), code="database_busy", detail=detail, headers=headers)
    log.warning("database unavailable: %s", type(exc).__name__)
    detail = "the database is unavailable; nothing was changed, retry later"
    return Problem(503, code="dependency_unavailable", detail=detail, headers=headers)


def _on_database_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    found = _database_problem(exc)
    return found.to_response(request) if found is not None else _on_unexpected(request, exc)


def _on_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    detail = "an unexpected error occurred; it has been logged"
    return Problem(500, code="internal_error", detail=detail).to_response(request)


_TO_PROBLEM: dict[type[Any], Callable[[Any], ProblemDetailsException]] = {
    HTTPException: _from_http_exception,
    errors.DomainError: _from_domain_error,
    errors.AdmissionRejected: _from_admission_rejected,
    RateLimitExceeded: _from_rate_limited,
    QuotaExceeded: _from_quota_exceeded,
}

PROBLEM_DETAILS = ProblemDetailsPlugin(ProblemDetailsConfig(exception_to_problem_detail_map=_TO_PROBLEM))
"""Litestar's problem-details support, fed by the converters above."""

EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    DBAPIError: _on_database_error,
    PoolTimeout: _on_database_error,
    OSError: _on_database_error,
    TimeoutError: _on_database_error,
    Exception: _on_unexpected,
}
"""What needs the request besides the problem (logging an unexpected error with its route)."""

__all__ = ["EXCEPTION_HANDLERS", "PROBLEM_DETAILS", "STATUS", "Problem"]
