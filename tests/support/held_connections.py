"""A test-only route that keeps its database connection until told to let go, and an app with a tiny pool.

Tests of the pool's shares (reads' reserve, each company's share) fill the pool
with requests that hold their connection, then see who else is served.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import httpx
import sqlalchemy as sa
from litestar import Litestar, post

from control_plane.api.access import access
from control_plane.api.app import create_app
from control_plane.api.dependencies import DbSession
from control_plane.domain.principals import Access
from control_plane.settings import ApiSettings, DatabaseSettings, LimitSettings, Settings

HOLD = "/test-only/hold"
RELEASE = asyncio.Event()
HOLDING: set[int] = set()
"""Requests holding their connection now."""


@post(HOLD, opt=access(Access.TENANT_WRITE), include_in_schema=False, status_code=200)
async def hold(db_session: DbSession) -> None:
    await db_session.execute(sa.text("SELECT 1"))  # the connection is checked out now
    marker = id(asyncio.current_task())
    HOLDING.add(marker)
    try:
        await RELEASE.wait()
    finally:
        HOLDING.discard(marker)


def tiny_pool(settings: Settings, connections: int, *, api: dict[str, Any] | None = None, **limits: Any) -> Settings:
    """``settings`` with a pool of ``connections`` that times out in half a second, and the given overrides."""
    database = {**settings.database.model_dump(), "pool_size": connections, "max_overflow": 0, "connect_timeout_s": 0.5}
    return replace(
        settings,
        database=DatabaseSettings(**database),
        api=ApiSettings(**{**settings.api.model_dump(), **(api or {})}),
        limits=LimitSettings(**{**settings.limits.model_dump(), **limits}),
    )


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[tuple[Litestar, httpx.AsyncClient]]:
    """The app with the hold route, served in this event loop: the test's requests run concurrently with it."""
    app = create_app(settings)
    app.register(hold)
    transport = httpx.ASGITransport(app=app)
    async with app.lifespan(), httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        yield app, client
