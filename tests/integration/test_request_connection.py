"""An authenticated request checks one pooled connection out, and always hands it back.

The guard authenticates an API key on the request's session and the handler reuses
it; the connection goes back to the pool after the request, when the handler
never asked for it, when it raised, and when the request failed before it ran.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
import sqlalchemy as sa
from litestar import get, post
from litestar.params import JSONBody
from litestar.testing import AsyncTestClient
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from control_plane.api.access import access
from control_plane.api.app import create_app
from control_plane.api.dependencies import DbSession
from control_plane.db.models import ApiCredential, ImportJob
from control_plane.domain.principals import Access
from control_plane.settings import DatabaseSettings, Settings
from tests.conftest import Tenants
from tests.support.jobs import poll

BOOM = "/test-only/boom"
BOOM_WRITE = "/test-only/boom-write"


class Boom(RuntimeError):
    """The failure a handler raises after using the session."""


@get(BOOM, opt=access(Access.TENANT_READ), include_in_schema=False)
async def boom(db_session: DbSession) -> None:
    await db_session.execute(sa.text("SELECT 1"))
    raise Boom("the handler failed after using the session")


@post(BOOM_WRITE, opt=access(Access.TENANT_WRITE), include_in_schema=False)
async def boom_write(db_session: DbSession, data: JSONBody[dict[str, int]]) -> None:
    raise Boom("unreachable for bodies that fail validation")


class Checkouts:
    """Counts pool checkouts on the app's engine."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *_: Any) -> None:
        self.count += 1


@pytest.fixture
def engine(client: AsyncTestClient) -> AsyncEngine:  # type: ignore[type-arg]
    app_engine: AsyncEngine = client.app.state.engine
    return app_engine


@pytest.fixture
def checkouts(engine: AsyncEngine) -> Iterator[Checkouts]:
    counter = Checkouts()
    event.listen(engine.sync_engine, "checkout", counter)
    yield counter
    event.remove(engine.sync_engine, "checkout", counter)


async def _back_to(engine: AsyncEngine, baseline: int) -> int:
    async def check() -> int | None:
        out: int = engine.sync_engine.pool.checkedout()  # type: ignore[attr-defined]
        return out if out == baseline else None

    return await poll(check, timeout_s=5, every_s=0.05, what=f"pool back to {baseline} checked-out connections")


@pytest.mark.parametrize("path", ["/api/v1/imports", "/api/v1/integrations", "/api/v1/ops/whoami"])
async def test_an_api_key_request_checks_out_one_connection(
    client: AsyncTestClient,  # type: ignore[type-arg]
    tenants: Tenants,
    engine: AsyncEngine,
    checkouts: Checkouts,
    path: str,
) -> None:
    baseline = engine.sync_engine.pool.checkedout()  # type: ignore[attr-defined]
    for attempt in range(2):  # the first use also records the key's last-used time (a commit in the guard)
        before = checkouts.count
        response = await client.get(path, headers=tenants.acme.auth)
        assert response.status_code == 200, response.text
        assert checkouts.count - before == 1, f"{path}, request {attempt + 1}: {checkouts.count - before} checkouts"
        await _back_to(engine, baseline)


async def test_a_failing_handler_returns_the_connection_and_keeps_last_used(
    client: AsyncTestClient,  # type: ignore[type-arg]
    tenants: Tenants,
    engine: AsyncEngine,
    checkouts: Checkouts,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    client.app.register(boom)
    baseline = engine.sync_engine.pool.checkedout()  # type: ignore[attr-defined]
    response = await client.get(BOOM, headers=tenants.beans.auth)
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/problem+json")
    assert checkouts.count == 1
    await _back_to(engine, baseline)
    async with sessions() as session:
        used = await session.scalar(
            sa.select(ApiCredential.last_used_at).where(ApiCredential.company_id == tenants.beans.company_id)
        )
    assert used is not None, "the guard's commit must survive the handler's failure"


@pytest.mark.parametrize(
    ("headers_of", "body", "status"),
    [
        ("viewer", {"n": 1}, 403),  # refused by the guard after authenticating
        ("acme", {"n": "not a number"}, 400),  # authenticated, refused before the handler runs
        ("bad", {"n": 1}, 401),
    ],
)
async def test_a_request_refused_before_the_handler_returns_the_connection(
    client: AsyncTestClient,  # type: ignore[type-arg]
    tenants: Tenants,
    engine: AsyncEngine,
    headers_of: str,
    body: dict[str, object],
    status: int,
) -> None:
    client.app.register(boom_write)
    headers = {
        "viewer": tenants.viewer,
        "acme": tenants.acme.auth,
        "bad": {"Authorization": f"Bearer icp_{uuid.uuid4().hex}"},
    }[headers_of]
    baseline = engine.sync_engine.pool.checkedout()  # type: ignore[attr-defined]
    response = await client.post(BOOM_WRITE, headers=headers, json=body)
    assert response.status_code == status, response.text
    await _back_to(engine, baseline)


async def test_an_exhausted_pool_is_a_503_database_busy_problem(
    migrated: Settings, clean: None, tenants: Tenants, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Every connection in use is overload, not an outage: the caller is told to retry, and nothing changes."""
    tiny = replace(
        migrated,
        database=DatabaseSettings(
            **{**migrated.database.model_dump(), "pool_size": 1, "max_overflow": 0, "connect_timeout_s": 0.5}
        ),
    )
    async with AsyncTestClient(app=create_app(tiny)) as busy_client:
        app_engine: AsyncEngine = busy_client.app.state.engine
        async with app_engine.connect():  # holds the pool's only connection
            response = await busy_client.post(
                "/api/v1/imports", json={"integration_id": str(tenants.acme.integration_id)}, headers=tenants.acme.auth
            )
        await app_engine.dispose()  # that connection belongs to this test's event loop, not the app's
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["retry-after"]
    assert response.json()["type"].endswith(":database_busy")
    async with sessions() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(ImportJob)) == 0
