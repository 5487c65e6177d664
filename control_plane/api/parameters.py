"""A request's headers and parameters are checked before the handler runs.

- Headers larger than ``ICP_API_MAX_HEADER_BYTES`` in all are a 431. The server (h11) stops
  buffering an incomplete header block at the same size, but a block that arrives in one
  read passes it, so the app counts as well.
- A NUL in a query parameter, header or path parameter is a 422 naming it. The body's
  strings are checked by :mod:`control_plane.api.json_body`; these are the request's other
  strings (the operator search ``q``, ``Idempotency-Key``, ...), which PostgreSQL would
  refuse as well.

Runs as the app's ``before_request`` hook: after the access guard, before any handler
parameter is resolved.

:data:`PageLimit` is every listing's ``limit``, documented with its bound; :data:`SINCE_FORMS`
the two forms a ``since`` window start takes.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request
from litestar.params import QueryParameter

from control_plane.api.problems import Problem
from control_plane.domain.errors import InvalidRequest
from control_plane.domain.limits import MAX_PAGE_SIZE
from control_plane.domain.slo import DURATION_PATTERN
from control_plane.domain.stored_text import NUL, printable
from control_plane.settings import Settings

_NUL_BYTE = NUL.encode()
HEADERS_TOO_LARGE = 431

PageLimit = Annotated[
    int | None,
    QueryParameter(
        ge=1,
        description=f"Page size, at most {MAX_PAGE_SIZE} (or the lower `ICP_API_MAX_PAGE_SIZE` a deployment sets).",
        schema_extra={"maximum": MAX_PAGE_SIZE},  # documented; above the configured cap a 422 invalid_request
    ),
]

SINCE_FORMS: dict[str, Any] = {
    "anyOf": [
        {"type": "string", "pattern": DURATION_PATTERN, "description": "A positive duration back from now."},
        {"type": "string", "format": "date-time", "description": "An ISO 8601 time (UTC when it has no offset)."},
    ]
}
"""The OpenAPI ``schema_extra`` of a ``since`` parameter (``services.ops_read.parse_since`` reads it)."""


def page_size(limit: int | None, settings: Settings) -> int:
    """The page size asked for (422 above the configured cap), or the default."""
    if limit is not None and limit > settings.api.max_page_size:
        raise InvalidRequest(f"limit may be at most {settings.api.max_page_size}", field="limit")
    return limit or settings.api.default_page_size


async def check_parameters(request: Request[Any, Any, Any]) -> None:
    """Refuse oversized headers, then any NUL in a query parameter, header or path parameter."""
    settings: Settings = request.app.state.settings
    raw_headers = list(request.scope["headers"])
    if (size := sum(len(name) + len(value) for name, value in raw_headers)) > settings.api.max_header_bytes:
        detail = f"the request's headers are {size} bytes; at most {settings.api.max_header_bytes} are accepted"
        raise Problem(
            HEADERS_TOO_LARGE,
            code="headers_too_large",
            detail=detail,
            field_errors=[{"field": "headers", "message": detail, "source": "header"}],
        )
    for name, value in request.query_params.multi_items():
        if NUL in name or NUL in value:
            _refuse(f"query parameter {printable(name)}", printable(name))
    for raw_name, raw_value in raw_headers:
        if _NUL_BYTE in raw_value:
            name = "-".join(part.capitalize() for part in raw_name.decode("latin-1").split("-"))
            _refuse(f"header {name}", name)
    for name, value in request.path_params.items():
        if isinstance(value, str) and NUL in value:
            _refuse(f"path parameter {name}", name)


def _refuse(what: str, field: str) -> None:
    raise InvalidRequest(f"{what} contains a NUL character, which cannot be stored", field=field)
