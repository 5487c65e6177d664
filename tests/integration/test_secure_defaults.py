"""Secure defaults at the edge: security headers on every answer, CORS closed, debug off, no leaked internals."""

from __future__ import annotations

import pytest
from litestar import get
from litestar.testing import AsyncTestClient

from control_plane.api.access import access
from control_plane.api.app import create_app
from control_plane.api.headers import SECURITY_HEADERS
from control_plane.domain.principals import Access
from control_plane.settings import ApiSettings, Settings
from tests.conftest import Tenants


@pytest.mark.parametrize(
    ("path", "auth", "status"),
    [
        ("/health/live", False, 200),
        ("/api/v1/imports", True, 200),
        ("/api/v1/imports", False, 401),
        ("/api/v1/ops/actions", True, 403),
        ("/no/such/route", False, 404),
        ("/schema/openapi.json", False, 200),
    ],
    ids=["public", "authorised", "unauthenticated", "forbidden", "unknown-route", "schema"],
)
async def test_every_answer_carries_the_security_headers(
    client: AsyncTestClient,  # type: ignore[type-arg]
    tenants: Tenants,
    path: str,
    auth: bool,
    status: int,
) -> None:
    response = await client.get(path, headers=tenants.acme.auth if auth else {})
    assert response.status_code == status, response.text
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (name, dict(response.headers))


async def test_cors_is_closed_to_every_origin(client: AsyncTestClient, tenants: Tenants) -> None:  # type: ignore[type-arg]
    preflight = await client.options(
        "/api/v1/imports",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in preflight.headers
    simple = await client.get("/api/v1/imports", headers={"Origin": "https://evil.example", **tenants.acme.auth})
    assert simple.status_code == 200 and "access-control-allow-origin" not in simple.headers


def test_debug_is_off_unless_asked_for(settings: Settings) -> None:
    assert ApiSettings.model_fields["debug"].default is False
    assert create_app(settings).debug is settings.api.debug


async def test_an_unexpected_error_is_a_500_problem_without_internals(migrated: Settings, clean: None) -> None:
    @get("/boom", opt=access(Access.PUBLIC), sync_to_thread=False)
    def boom() -> None:
        raise RuntimeError("internal detail: postgres://user:secret@db/prod")

    app = create_app(migrated)
    app.register(boom)
    async with AsyncTestClient(app=app) as client:
        response = await client.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "secret" not in response.text and "Traceback" not in response.text and "RuntimeError" not in response.text
    assert response.headers["cache-control"] == "no-store"
