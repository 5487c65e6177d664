"""The served OpenAPI document tells the truth: every answer the API gives is documented, bounds included.

Each reproducer sends a real request and checks that the status it got is
documented for that operation in the schema the app serves, with the answer's
media type, and that the body validates against the documented schema. The
rest checks what the document declares: the page bound, the formats of
`since`, report and runbook names and uuid path parameters, closed request
bodies, and an `Allow` header on `OPTIONS` and `405` answers that lists every
method of the path.
"""

from __future__ import annotations

import re
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from control_plane.api.app import create_app
from control_plane.settings import DatabaseSettings, LimitSettings, Settings
from tests.conftest import Tenants

pytestmark = pytest.mark.integration

AnyClient = AsyncTestClient  # type: ignore[type-arg]
Document = dict[str, Any]
IMPORTS = "/api/v1/imports"
PREVIEW = "/api/v1/integrations/{integration_id}/mapping-preview"
JSON = {"Content-Type": "application/json"}
HTTP_METHODS = {"get", "put", "post", "delete", "patch"}


async def _document(client: AnyClient) -> Document:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200, response.text
    document: Document = response.json()
    return document


def assert_documented(document: Document, method: str, template: str, response: httpx.Response) -> None:
    """The status is documented for the operation, with the answer's media type and a schema its body fits."""
    operation = document["paths"][template][method.lower()]
    status = str(response.status_code)
    assert status in operation["responses"], (
        f"{method} {template} answered {status} ({response.text[:200]}); documented: {sorted(operation['responses'])}"
    )
    media_type = response.headers["content-type"].split(";")[0].strip()
    content = operation["responses"][status].get("content", {})
    assert media_type in content, f"{method} {template} {status}: {media_type} not documented ({sorted(content)})"
    schema = {**content[media_type]["schema"], "components": document["components"]}
    errors = [error.message for error in Draft202012Validator(schema).iter_errors(response.json())]
    assert not errors, f"{method} {template} {status}: body outside its schema: {errors}"


@pytest.fixture
async def document(client: AnyClient) -> Document:
    return await _document(client)


def _submission(tenants: Tenants) -> dict[str, str]:
    return {"integration_id": str(tenants.acme.integration_id)}


async def test_an_idempotent_replay_is_a_documented_200(
    client: AnyClient, tenants: Tenants, document: Document
) -> None:
    headers = {**tenants.acme.auth, "Idempotency-Key": "truth-1"}
    first = await client.post(IMPORTS, json=_submission(tenants), headers=headers)
    assert first.status_code == 202, first.text
    assert_documented(document, "POST", IMPORTS, first)
    again = await client.post(IMPORTS, json=_submission(tenants), headers=headers)
    assert again.status_code == 200 and again.json()["replayed"] is True, again.text
    assert_documented(document, "POST", IMPORTS, again)


async def test_a_provider_failure_at_preview_is_a_documented_502(
    client: AnyClient, tenants: Tenants, document: Document, acme_shop: Callable[..., Awaitable[None]]
) -> None:
    await acme_shop(products=5, faults={"burst_5xx": 1000})
    path = PREVIEW.format(integration_id=tenants.acme.integration_id)
    response = await client.post(path, json={}, headers=tenants.acme.auth)
    assert response.status_code == 502 and response.json()["type"].endswith(":provider_error"), response.text
    assert_documented(document, "POST", PREVIEW, response)


async def test_a_shop_that_refuses_the_integration_at_preview_is_the_vendors_422(
    client: AnyClient, tenants: Tenants, document: Document, acme_shop: Callable[..., Awaitable[None]]
) -> None:
    """A gone shop (404) will not come back by retrying: the integration is at fault, not the provider."""
    await acme_shop(gone=True)
    path = PREVIEW.format(integration_id=tenants.acme.integration_id)
    response = await client.post(path, json={}, headers=tenants.acme.auth)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "integration_id"
    assert "refused this integration" in response.json()["detail"]
    assert_documented(document, "POST", PREVIEW, response)


EDGE_REFUSALS: list[tuple[str, str, str, bytes, dict[str, str], int]] = [
    # id, method, path (also its template), body, extra headers, status
    ("bad-json", "POST", IMPORTS, b'{"integration_id": ', JSON, 400),
    ("too-deep", "POST", IMPORTS, b'{"options": ' + b'{"a": ' * 40 + b"1" + b"}" * 41, JSON, 400),
    ("unknown-field", "POST", IMPORTS, b'{"integration_id": "x", "nope": 1}', JSON, 400),
    ("too-large", "POST", IMPORTS, b'{"correlation_id": "' + b"x" * 1_100_000 + b'"}', JSON, 413),
    ("not-json", "POST", IMPORTS, b"{}", {"Content-Type": "text/plain"}, 415),
    ("nul-header", "GET", IMPORTS, b"", {"Idempotency-Key": "k\x00"}, 422),
    ("limit-over-cap", "GET", f"{IMPORTS}?limit=201", b"", {}, 422),
    ("nul-header-public", "GET", "/health/live", b"", {"X-Note": "a\x00b"}, 422),
    ("nul-query-metrics", "GET", "/metrics?x=%00", b"", {}, 422),
    ("preview-too-large", "POST", PREVIEW, b'{"rules": "' + b"x" * 1_100_000 + b'"}', JSON, 413),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "headers", "status"),
    [case[1:] for case in EDGE_REFUSALS],
    ids=[case[0] for case in EDGE_REFUSALS],
)
async def test_an_edge_refusal_is_a_documented_problem(
    client: AnyClient,
    tenants: Tenants,
    document: Document,
    method: str,
    path: str,
    body: bytes,
    headers: dict[str, str],
    status: int,
) -> None:
    url = path.format(integration_id=tenants.acme.integration_id)
    response = await client.request(method, url, content=body or None, headers={**tenants.acme.auth, **headers})
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert_documented(document, method, path.split("?")[0], response)


async def _tuned(settings: Settings) -> AsyncIterator[AnyClient]:
    async with AsyncTestClient(app=create_app(settings)) as tuned:
        yield tuned


async def test_a_spent_rate_limit_is_a_documented_429(migrated: Settings, tenants: Tenants) -> None:
    async for tight in _tuned(replace(migrated, limits=LimitSettings(api_requests_per_minute=60, api_burst=1))):
        document = await _document(tight)
        assert (await tight.get(IMPORTS, headers=tenants.acme.auth)).status_code == 200
        refused = await tight.get(IMPORTS, headers=tenants.acme.auth)
        assert refused.status_code == 429, refused.text
        assert_documented(document, "GET", IMPORTS, refused)


async def test_a_busy_database_is_a_documented_503(migrated: Settings, tenants: Tenants) -> None:
    fields = {**migrated.database.model_dump(), "pool_size": 1, "max_overflow": 0, "connect_timeout_s": 0.5}
    async for busy in _tuned(replace(migrated, database=DatabaseSettings(**fields))):
        document = await _document(busy)
        engine: AsyncEngine = busy.app.state.engine
        async with engine.connect():  # holds the pool's only connection
            response = await busy.post(IMPORTS, json=_submission(tenants), headers=tenants.acme.auth)
        await engine.dispose()  # that connection belongs to this test's event loop, not the app's
        assert response.status_code == 503 and response.json()["type"].endswith(":database_busy"), response.text
        assert_documented(document, "POST", IMPORTS, response)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_an_unreachable_database_is_a_documented_503(migrated: Settings, tenants: Tenants) -> None:
    fields = {**migrated.database.model_dump(), "host": "127.0.0.1", "port": _closed_port(), "connect_timeout_s": 1}
    async for away in _tuned(replace(migrated, database=DatabaseSettings(**fields))):
        document = await _document(away)
        for method, path in (("GET", IMPORTS), ("GET", "/metrics")):
            response = await away.request(method, path, headers=tenants.acme.auth)
            assert response.status_code == 503, response.text
            assert response.json()["type"].endswith(":dependency_unavailable"), response.text
            assert_documented(document, method, path, response)


def _operations(document: Document) -> list[tuple[str, str, Document]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]


def _parameter(document: Document, method: str, path: str, name: str) -> Document:
    parameters = document["paths"][path][method]["parameters"]
    found: Document = next(parameter for parameter in parameters if parameter["name"] == name)
    return found


def test_every_limit_declares_the_page_bound(document: Document) -> None:
    limits = [
        _parameter(document, method, path, "limit")["schema"]
        for method, path, operation in _operations(document)
        if any(parameter["name"] == "limit" for parameter in operation.get("parameters", []))
    ]
    assert len(limits) == 4  # imports, ops jobs/recent, ops actions, ops jobs/search
    assert all(schema.get("minimum") == 1 and schema.get("maximum") == 200 for schema in limits), limits


def test_since_declares_its_date_time_and_duration_forms(document: Document) -> None:
    for path in ("/api/v1/ops/history", "/api/v1/ops/slo"):
        forms = _parameter(document, "get", path, "since")["schema"].get("anyOf", [])
        assert {"format": "date-time"}.items() <= next((f for f in forms if "format" in f), {}).items(), path
        durations = [f["pattern"] for f in forms if "pattern" in f]
        assert durations and re.match(durations[0], "24h") and not re.match(durations[0], "yesterday"), path


def test_report_and_runbook_names_declare_their_forms(document: Document) -> None:
    report = "/api/v1/ops/reports/{kind}/{run_id}"
    assert _parameter(document, "get", report, "kind")["schema"].get("enum") == ["load", "chaos"]
    run_id = _parameter(document, "get", report, "run_id")["schema"]["pattern"]
    assert re.match(run_id, "20261201-load") and not re.match(run_id, "../etc")
    chart = _parameter(document, "get", f"{report}/charts/{{name}}", "name")["schema"]["pattern"]
    assert re.match(chart, "latency.png") and not re.match(chart, "report.json")
    runbook = _parameter(document, "get", "/api/v1/ops/runbooks/{name}", "name")["schema"]["pattern"]
    assert re.match(runbook, "job-latency") and not re.match(runbook, "../README")


def test_every_id_path_parameter_is_a_uuid(document: Document) -> None:
    ids = [
        (path, parameter["name"], parameter["schema"])
        for _, path, operation in _operations(document)
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "path" and parameter["name"] in ("job_id", "integration_id")
    ]
    assert len(ids) == 6, ids  # a job (get, events, cancel, retry), an integration (get, preview)
    assert all(schema == {"type": "string", "format": "uuid"} for _, _, schema in ids), ids


def _open_objects(document: Document, schema: Document, seen: set[str]) -> list[str]:
    """Every object schema reachable from ``schema`` that does not refuse unknown fields."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return []
        seen.add(name)
        schema = {**document["components"]["schemas"][name], "title": name}
    open_ones = (
        [schema.get("title", "?")] if "properties" in schema and schema.get("additionalProperties") is not False else []
    )
    for child in schema.get("properties", {}).values():
        open_ones += _open_objects(document, child, seen)
    for key in ("oneOf", "anyOf", "allOf"):
        for child in schema.get(key, []):
            open_ones += _open_objects(document, child, seen)
    if isinstance(schema.get("items"), dict):
        open_ones += _open_objects(document, schema["items"], seen)
    return open_ones


def test_every_request_body_refuses_unknown_fields(document: Document) -> None:
    bodies = [
        (f"{method.upper()} {path}", operation["requestBody"]["content"]["application/json"]["schema"])
        for method, path, operation in _operations(document)
        if "requestBody" in operation
    ]
    assert len(bodies) == 8, [label for label, _ in bodies]
    open_ones = {label: found for label, schema in bodies if (found := _open_objects(document, schema, set()))}
    assert not open_ones, f"request bodies that accept unknown fields in the document: {open_ones}"


SAMPLES = {
    "job_id": "00000000-0000-0000-0000-000000000000",
    "integration_id": "00000000-0000-0000-0000-000000000000",
    "provider": "shopify",
    "worker_id": "w-1",
    "kind": "load",
    "run_id": "r-1",
    "name": "chart.png",
}


async def test_allow_lists_every_documented_method_of_each_path(client: AnyClient, document: Document) -> None:
    wrong: list[str] = []
    for path, item in document["paths"].items():
        documented = {method.upper() for method in item if method in HTTP_METHODS}
        url = re.sub(r"\{(\w+)\}", lambda match: SAMPLES[match.group(1)], path)
        for method, status in (("OPTIONS", 204), ("PATCH", 405)):
            response = await client.request(method, url)
            allowed = {m.strip() for m in response.headers.get("allow", "").split(",")} - {"OPTIONS", "HEAD", ""}
            if response.status_code != status or allowed != documented:
                wrong.append(f"{method} {path}: {response.status_code}, Allow {sorted(allowed)} ≠ {sorted(documented)}")
    assert not wrong, "\n".join(wrong)
