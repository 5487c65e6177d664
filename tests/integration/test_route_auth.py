"""Every route declares its access, and each one refuses missing, wrong-role and other-tenant credentials.

The routes come from the app's OpenAPI document, so a new endpoint is tested
(and must be added to ``POLICY``, a reviewed table) without anyone remembering to.
Company A (acme) owns the resources; company B (beans) calls with A's ids.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from litestar import Litestar, get
from litestar.handlers.base import BaseRouteHandler
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient

from control_plane.api.access import declared_access
from control_plane.api.app import create_app
from control_plane.domain.principals import ACCESS_ROLES, Access, Role
from control_plane.settings import Settings, load_settings
from tests.conftest import Tenants

METHODS = ("get", "put", "post", "delete", "patch")
Op = tuple[str, str]

PUBLIC_ROUTES: dict[Op, str] = {
    ("GET", "/health/live"): "liveness probe for the orchestrator; answers a constant",
    ("GET", "/health/ready"): "readiness probe for the load balancer; names only whether PostgreSQL and Redis answer",
    ("GET", "/metrics"): "Prometheus scrape: counts, no tenant data; the load balancer does not route it",
}
"""Routes that take no credential, each with why (the OpenAPI document under /schema is public too)."""

R, W, OBS, OPS = Access.TENANT_READ, Access.TENANT_WRITE, Access.OBSERVER, Access.OPERATOR
POLICY: dict[Op, Access] = {
    **dict.fromkeys(PUBLIC_ROUTES, Access.PUBLIC),
    ("POST", "/api/v1/imports"): W,
    ("GET", "/api/v1/imports"): R,
    ("GET", "/api/v1/imports/{job_id}"): R,
    ("GET", "/api/v1/imports/{job_id}/events"): R,
    ("POST", "/api/v1/imports/{job_id}/cancel"): W,
    ("POST", "/api/v1/imports/{job_id}/retry"): W,
    ("POST", "/api/v1/integrations"): W,
    ("GET", "/api/v1/integrations"): R,
    ("GET", "/api/v1/integrations/{integration_id}"): R,
    ("POST", "/api/v1/integrations/{integration_id}/mapping-preview"): W,  # calls the provider: not for viewers
    ("GET", "/api/v1/mappings/{provider}"): R,
    ("PUT", "/api/v1/mappings/{provider}"): W,
    ("GET", "/api/v1/ops/whoami"): R,
    **{("GET", f"/api/v1/ops/{p}"): OBS for p in ("state", "alarms", "providers", "slo", "workers", "autoscaler")},
    **{("GET", f"/api/v1/ops/{p}"): OBS for p in ("companies", "history", "jobs/search", "reports", "runbooks")},
    ("GET", "/api/v1/ops/reports/{kind}/{run_id}"): OBS,
    ("GET", "/api/v1/ops/reports/{kind}/{run_id}/charts/{name}"): OBS,
    ("GET", "/api/v1/ops/runbooks/{name}"): OBS,
    ("GET", "/api/v1/ops/jobs/recent"): OPS,
    ("GET", "/api/v1/ops/actions"): OPS,
    **{("POST", f"/api/v1/ops/{p}"): OPS for p in ("pause", "resume", "retry-dead", "workers/{worker_id}/drain")},
}
"""The reviewed access of every route: the code's declaration must equal it."""

OWN_ONLY: set[Op] = {
    ("GET", "/api/v1/imports"),
    ("GET", "/api/v1/integrations"),
    ("POST", "/api/v1/integrations"),
    ("GET", "/api/v1/ops/whoami"),
}
"""Tenant routes naming no resource of A: B is answered about its own company only (never 404, never A's data)."""
BODY_REFERENCE: set[Op] = {("POST", "/api/v1/imports")}
"""A's resource named in the body: B gets exactly the answer an unknown id gets (a 422 naming the field)."""

RULES = [{"target": "external_id", "source": "id", "required": True}, {"target": "title", "source": "title"}]
PAUSE = {"scope": "queue", "reason": "route auth test"}


def _operations(app: Litestar) -> list[Op]:
    paths = app.openapi_schema.to_schema()["paths"]
    return sorted((method.upper(), path) for path, item in paths.items() for method in item if method in METHODS)


APP = create_app(load_settings())
OPERATIONS = _operations(APP)
PROTECTED = [op for op in OPERATIONS if op not in PUBLIC_ROUTES]


def _handler(app: Litestar, op: Op) -> BaseRouteHandler:
    method, path = op
    for route in app.routes:
        if isinstance(route, HTTPRoute) and route.path_format == path:
            found = [handler for name, (handler, _) in route.route_handler_map.items() if name == method]
            if found:
                return found[0]
    raise AssertionError(f"{op} is in the OpenAPI document but no route serves it")


def test_every_route_declares_the_reviewed_access() -> None:
    undeclared = [op for op in OPERATIONS if declared_access(_handler(APP, op)) is None]
    assert undeclared == [], f"routes without opt={{'access': ...}}: {undeclared}"
    assert set(OPERATIONS) == set(POLICY), "a route was added or removed: review POLICY"
    wrong = {
        op: declared_access(_handler(APP, op)) for op in OPERATIONS if declared_access(_handler(APP, op)) != POLICY[op]
    }
    assert wrong == {}, f"declared access differs from the reviewed policy: {wrong}"
    assert {op for op in OPERATIONS if POLICY[op] is Access.PUBLIC} == set(PUBLIC_ROUTES)
    paths = APP.openapi_schema.to_schema()["paths"]
    documented_public = {(m, p) for m, p in OPERATIONS if paths[p][m.lower()].get("security") == [{}]}
    assert documented_public == set(PUBLIC_ROUTES), "the OpenAPI document must say which routes take no credential"


@dataclass(frozen=True)
class World:
    """A's resources, and the credentials of each role (B is the vendor that must not see A)."""

    tenants: Tenants
    job_id: str
    a_ids: tuple[str, ...]

    def headers(self, role: Role) -> dict[str, str]:
        return {
            Role.VENDOR: self.tenants.beans.auth,
            Role.OPERATOR: self.tenants.operator,
            Role.VIEWER: self.tenants.viewer,
        }[role]

    def request(self, op: Op) -> tuple[str, dict[str, str], Any]:
        """URL with path parameters from A's resources, query and a valid body for ``op``."""
        _, path = op
        acme = self.tenants.acme
        values = {"job_id": self.job_id, "integration_id": str(acme.integration_id), "provider": "shopify"}
        values |= {"worker_id": "no-such-worker", "kind": "load", "run_id": "no-such-run", "name": "no-such-name"}
        query = {"company_id": str(acme.company_id)} if "/mappings/" in path or op == ("GET", "/api/v1/imports") else {}
        bodies: dict[Op, Any] = {
            ("POST", "/api/v1/imports"): {"integration_id": str(acme.integration_id)},
            ("POST", "/api/v1/integrations"): {
                "provider": "shopify",
                "name": "probe",
                "credential": "shpat_probe",
                "account_settings": {"shop": "probe"},
                "company_id": str(acme.company_id),
            },
            ("PUT", "/api/v1/mappings/{provider}"): {"rules": RULES},
            ("POST", "/api/v1/integrations/{integration_id}/mapping-preview"): {"limit": 1},
            ("POST", "/api/v1/ops/pause"): PAUSE,
            ("POST", "/api/v1/ops/resume"): PAUSE,
            ("POST", "/api/v1/ops/retry-dead"): {},
            ("POST", "/api/v1/ops/workers/{worker_id}/drain"): {"reason": "route auth test"},
        }
        return path.format(**values), query, bodies.get(op)


async def _world(client: AsyncTestClient, tenants: Tenants) -> World:  # type: ignore[type-arg]
    acme = tenants.acme
    submitted = await client.post(
        "/api/v1/imports", json={"integration_id": str(acme.integration_id)}, headers=acme.auth
    )
    assert submitted.status_code == 202, submitted.text
    saved = await client.put("/api/v1/mappings/shopify", json={"rules": RULES}, headers=acme.auth)
    assert saved.status_code == 200, saved.text
    job_id = submitted.json()["job"]["id"]
    return World(tenants, job_id, (job_id, str(acme.company_id), str(acme.integration_id)))


async def _call(client: AsyncTestClient, world: World, op: Op, headers: dict[str, str]) -> Any:  # type: ignore[type-arg]
    url, query, body = world.request(op)
    return await client.request(op[0], url, params=query, json=body, headers=headers)


async def _a_state(client: AsyncTestClient, world: World) -> tuple[Any, ...]:  # type: ignore[type-arg]
    """What B must not be able to change: A's job, its timeline, its mapping and its integrations."""
    acme = world.tenants.acme.auth
    job = (await client.get(f"/api/v1/imports/{world.job_id}", headers=acme)).json()
    events = (await client.get(f"/api/v1/imports/{world.job_id}/events", headers=acme)).json()
    mapping = (await client.get("/api/v1/mappings/shopify", headers=acme)).json()
    integrations = (await client.get("/api/v1/integrations", headers=acme)).json()
    return job["status"], len(events["items"]), mapping["version"], mapping["rules"], integrations


def _assert_problem(response: Any, status: int, why: str) -> None:
    assert response.status_code == status, (why, response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/problem+json"), why
    assert response.json()["status"] == status and response.json()["detail"], why


def _reveals(response: Any, ids: tuple[str, ...]) -> bool:
    """Whether the answer carries any of ``ids`` (a problem's ``instance`` only echoes the caller's own URL)."""
    body = response.json()
    if isinstance(body, dict):
        body.pop("instance", None)
    return any(found in json.dumps(body) for found in ids)


@pytest.mark.parametrize("op", PROTECTED, ids=[f"{m} {p}" for m, p in PROTECTED])
async def test_route_refuses_missing_wrong_role_and_other_tenant_credentials(
    client: AsyncTestClient,  # type: ignore[type-arg]
    tenants: Tenants,
    op: Op,
) -> None:
    world = await _world(client, tenants)
    level = POLICY[op]
    for headers in ({}, {"Authorization": "Bearer icp_not-a-key"}, {"Authorization": "Bearer not.a.jwt"}):
        response = await _call(client, world, op, headers)
        _assert_problem(response, 401, f"credential {headers}")
        assert response.headers["www-authenticate"].startswith("Bearer")
    for role in sorted(set(Role) - ACCESS_ROLES[level]):
        _assert_problem(await _call(client, world, op, world.headers(role)), 403, f"role {role}")
    before = await _a_state(client, world)
    if level in (Access.TENANT_READ, Access.TENANT_WRITE):
        other = await _call(client, world, op, tenants.beans.auth)
        assert other.status_code < 500, other.text
        if op in OWN_ONLY:
            assert other.status_code in (200, 201), other.text
        elif op in BODY_REFERENCE:
            unknown = await client.post(op[1], json={"integration_id": str(uuid.uuid4())}, headers=tenants.beans.auth)
            _assert_problem(other, 422, "another tenant's integration named in the body")
            assert other.json()["errors"] == unknown.json()["errors"], "A's integration is told apart from none"
        else:
            _assert_problem(other, 404, "another tenant's resource")
        assert not _reveals(other, world.a_ids), f"B saw A's data: {other.text}"
    assert await _a_state(client, world) == before, "a refused call changed company A's data"
    owner = tenants.acme.auth if level in (Access.TENANT_READ, Access.TENANT_WRITE) else tenants.operator
    admitted = await _call(client, world, op, owner)
    assert admitted.status_code not in (401, 403, 500), (op, admitted.text)


async def test_the_served_schema_lists_exactly_the_enumerated_routes(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    response = await client.get("/schema/openapi.json")  # public: the contract, no data
    assert response.status_code == 200
    served = response.json()["paths"]
    assert sorted((m.upper(), p) for p, item in served.items() for m in item if m in METHODS) == OPERATIONS


@pytest.mark.parametrize("op", sorted(PUBLIC_ROUTES), ids=[f"{m} {p}" for m, p in sorted(PUBLIC_ROUTES)])
async def test_public_routes_answer_without_credentials(client: AsyncTestClient, op: Op) -> None:  # type: ignore[type-arg]
    response = await client.request(op[0], op[1])
    assert response.status_code == 200, response.text


async def test_a_route_that_declares_nothing_is_refused(settings: Settings, clean: None, tenants: Tenants) -> None:
    """Fail closed: an endpoint someone forgot to declare is a 403 even for an operator."""

    @get("/undeclared", sync_to_thread=False)
    def undeclared() -> dict[str, str]:
        return {"secret": "x"}

    app = create_app(settings)
    app.register(undeclared)
    async with AsyncTestClient(app=app) as client:
        response = await client.get("/undeclared", headers=tenants.operator)
        _assert_problem(response, 403, "undeclared route")
        assert "secret" not in response.text


async def test_only_an_operator_may_point_an_integration_at_an_address(
    client: AsyncTestClient,  # type: ignore[type-arg]
    tenants: Tenants,
) -> None:
    """A vendor choosing ``base_url`` could aim the workers at internal services (SSRF): refused, nothing stored."""
    body = {"provider": "shopify", "name": "x", "credential": "t", "base_url": "http://169.254.169.254/latest"}
    refused = await client.post("/api/v1/integrations", json=body, headers=tenants.acme.auth)
    _assert_problem(refused, 403, "vendor base_url")
    assert refused.json()["errors"][0]["field"] == "base_url"
    listed = (await client.get("/api/v1/integrations", headers=tenants.acme.auth)).json()["items"]
    assert [item["id"] for item in listed] == [str(tenants.acme.integration_id)]
