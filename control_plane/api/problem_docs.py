"""The problem answers (``application/problem+json``) every operation can give, in the OpenAPI document.

Litestar documents only each handler's success and a generic ``application/json``
400; the answers ``control_plane.api.problems`` actually sends are problem
documents. Every operation gets them here, by its declared access, so clients
and the schemathesis run see the real media type and body of every error.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import ResponseSpec
from litestar.routes import HTTPRoute

from control_plane.api.access import declared_access
from control_plane.api.problems import BODY_PARAMETER, PROBLEM_MEDIA_TYPE
from control_plane.domain.principals import Access


class FieldError(msgspec.Struct, omit_defaults=True):
    field: Annotated[str, msgspec.Meta(description="The field at fault, as the client named it (`body`: all of it).")]
    message: str
    source: Annotated[str | None, msgspec.Meta(description="Where it was: `path`, `query`, `header` or `body`.")] = None


class Problem(msgspec.Struct, omit_defaults=True):
    """An RFC 9457 problem document. Some carry more members: `retry_after_s`, `queue_tier`, `limit`, `current`."""

    type: Annotated[str, msgspec.Meta(description="`urn:import-control-plane:problem:<code>`.")]
    title: str
    status: int
    detail: Annotated[str, msgspec.Meta(description="What went wrong, naming the field or cause.")]
    instance: Annotated[str, msgspec.Meta(description="The request's path.")]
    errors: list[FieldError] | None = None


_WHY: dict[int, str] = {
    400: "The request does not decode into the declared parameters or body (`errors` names each field).",
    401: "No credential, or one that is unknown, revoked, expired or badly signed.",
    403: "The credential's role may not use this operation (a viewer may not change anything).",
    404: "No such resource for this caller (another company's resource is a 404 too).",
    409: "The resource's state does not allow this, or a storage quota is full.",
    413: "The body is larger than the API accepts (1 MiB by default).",
    415: "The body is not declared `application/json` (UTF-8); `errors` names `Content-Type`.",
    422: "The request decodes but our rules reject it (e.g. an unknown integration, an invalid mapping).",
    431: "The request's headers are larger than the API accepts (16 KiB in all by default).",
    429: "The company's rate limit or a concurrency cap is spent; retry after `Retry-After` seconds.",
    500: "An unexpected error; it has been logged and nothing about it is disclosed.",
    502: "The provider could not be read (`provider_error`); the detail names its answer.",
    503: (
        "A dependency is unavailable (`dependency_unavailable`), every database connection is in use "
        "(`database_busy`) or the queue sheds load; retry after `Retry-After` seconds."
    ),
}
_PUBLIC = (400, 422, 431, 500)
"""A NUL in a header or query parameter is a 422 on every route, public ones too."""
_WITH_BODY = (413, 415)
"""Only an operation that takes a JSON body answers these."""
_OWN = (502,)
"""Only the operations that declare them (``responses={502: problem_response(502)}``) answer these."""
_AUTHENTICATED = tuple(status for status in _WHY if status not in (*_WITH_BODY, *_OWN))


def problem_response(status: int) -> ResponseSpec:
    """The problem document answered with ``status``, for a handler's own ``responses=``."""
    return ResponseSpec(
        data_container=Problem, media_type=PROBLEM_MEDIA_TYPE, description=_WHY[status], generate_examples=False
    )


PROBLEM_RESPONSES: dict[int, ResponseSpec] = {status: problem_response(status) for status in _WHY}


def document_problems(app: Litestar) -> None:
    """Add the problem answers to every operation (a response a handler documents itself is kept)."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if isinstance(handler, HTTPRouteHandler):
                statuses = _PUBLIC if declared_access(handler) in (Access.PUBLIC, None) else _AUTHENTICATED
                if BODY_PARAMETER in handler.parsed_fn_signature.parameters:
                    statuses = (*statuses, *_WITH_BODY)
                handler.responses = {**{s: PROBLEM_RESPONSES[s] for s in statuses}, **(handler.responses or {})}
