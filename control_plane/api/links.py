"""OpenAPI links: which answer's value feeds which next operation, so a client (or a fuzzer) can follow them.

A job is created by ``POST /imports`` and read, followed, cancelled and retried by
its id; an integration is created, read, previewed and imported from by its id.
Litestar's response specs cannot carry links, so they are added to the built
document, after every route is registered (a route added later rebuilds the
document and drops them; :func:`link_operations` is the last step of the app
factory).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Litestar
from litestar.openapi.spec import Link, OpenAPI, OpenAPIResponse, Operation

API = "/api/v1"


@dataclass(frozen=True)
class Step:
    """From the ``status`` answer of ``method path``, the operation ``then`` with these values."""

    method: str
    path: str
    status: str
    name: str
    then: tuple[str, str]
    parameters: tuple[tuple[str, str], ...] = ()
    body: dict[str, Any] | None = None


_JOB_ID = (("job_id", "$response.body#/job/id"),)
_SAME_JOB = (("job_id", "$request.path.job_id"),)
_INTEGRATION_ID = (("integration_id", "$response.body#/id"),)

STEPS: tuple[Step, ...] = (
    *(
        Step("post", f"{API}/imports", status, name, then, _JOB_ID)
        for status in ("202", "200")  # 200: the Idempotency-Key replay answers the same job
        for name, then in (
            ("GetJob", ("get", f"{API}/imports/{{job_id}}")),
            ("JobEvents", ("get", f"{API}/imports/{{job_id}}/events")),
            ("CancelJob", ("post", f"{API}/imports/{{job_id}}/cancel")),
            ("RetryJob", ("post", f"{API}/imports/{{job_id}}/retry")),
        )
    ),
    Step(
        "get", f"{API}/imports/{{job_id}}", "200", "CancelJob", ("post", f"{API}/imports/{{job_id}}/cancel"), _SAME_JOB
    ),
    Step("get", f"{API}/imports/{{job_id}}", "200", "RetryJob", ("post", f"{API}/imports/{{job_id}}/retry"), _SAME_JOB),
    Step("post", f"{API}/imports/{{job_id}}/cancel", "202", "GetJob", ("get", f"{API}/imports/{{job_id}}"), _SAME_JOB),
    Step("post", f"{API}/imports/{{job_id}}/retry", "202", "GetJob", ("get", f"{API}/imports/{{job_id}}"), _SAME_JOB),
    Step(
        "post",
        f"{API}/integrations",
        "201",
        "GetIntegration",
        ("get", f"{API}/integrations/{{integration_id}}"),
        _INTEGRATION_ID,
    ),
    Step(
        "post",
        f"{API}/integrations",
        "201",
        "PreviewMapping",
        ("post", f"{API}/integrations/{{integration_id}}/mapping-preview"),
        _INTEGRATION_ID,
    ),
    Step(
        "post",
        f"{API}/integrations",
        "201",
        "SubmitImport",
        ("post", f"{API}/imports"),
        body={"integration_id": "$response.body#/id"},
    ),
    Step(
        "put",
        f"{API}/mappings/{{provider}}",
        "200",
        "GetMapping",
        ("get", f"{API}/mappings/{{provider}}"),
        (("provider", "$request.path.provider"),),
    ),
)


def link_operations(app: Litestar) -> None:
    """Add :data:`STEPS` to the app's OpenAPI document (built now, so it is final)."""
    document = app.openapi_schema
    for step in STEPS:
        response = _response(document, step.method, step.path, step.status)
        target = _operation(document, *step.then)
        link = Link(
            operation_id=target.operation_id,
            parameters=dict(step.parameters) or None,
            request_body=step.body,
        )
        response.links = {**(response.links or {}), step.name: link}


def _operation(document: OpenAPI, method: str, path: str) -> Operation:
    item = (document.paths or {}).get(path)
    operation = getattr(item, method, None) if item is not None else None
    if not isinstance(operation, Operation):
        raise LookupError(f"no operation {method.upper()} {path} to link")
    return operation


def _response(document: OpenAPI, method: str, path: str, status: str) -> OpenAPIResponse:
    answer = (_operation(document, method, path).responses or {}).get(status)
    if not isinstance(answer, OpenAPIResponse):
        raise LookupError(f"{method.upper()} {path} documents no {status} answer to link from")
    return answer
