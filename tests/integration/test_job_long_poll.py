"""Long-poll on a job (``GET /api/v1/imports/{id}?wait=``), on the real PostgreSQL and Redis.

Waiting requests run in the app's own event loop (the test client's portal), so the
test can move the job meanwhile from its own sessions, with or without announcing it.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from control_plane.api.app import create_app
from control_plane.db.engine import create_session_factory
from control_plane.domain.job_wait import MAX_JOB_WAIT_S
from control_plane.integrations.redis_state.job_changes import JobChangeListener, JobChangePublisher, channel
from control_plane.services.imports import ImportService
from control_plane.settings import DatabaseSettings, Settings
from tests.conftest import OPERATOR, Tenants
from tests.integration.conftest import IMPORTS, Rig, submit
from tests.support.jobs import poll

WAIT_S = 30
"""Long enough that an answer well before it can only come from a wake-up."""


async def in_app_loop(client: AsyncTestClient, path: str, headers: dict[str, str]) -> httpx.Response:  # type: ignore[type-arg]
    """GET ``path`` from inside the app's event loop, so the calling test keeps running meanwhile."""

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local", timeout=90) as http:
            return await http.get(path, headers=headers)

    return await asyncio.wrap_future(client.blocking_portal.start_task_soon(send))


async def timed(request: asyncio.Future[httpx.Response]) -> tuple[httpx.Response, float]:
    """The answer and how long the test waited for it from now."""
    started = time.monotonic()
    response = await request
    return response, time.monotonic() - started


async def until_waiting(client: AsyncTestClient, job_id: uuid.UUID) -> None:  # type: ignore[type-arg]
    """Until the request waits on ``job_id`` and the app's listener is subscribed (announcements reach it)."""
    listener: JobChangeListener = client.app.state.job_changes

    async def check() -> bool:
        return listener.subscribed and listener.waiting(job_id) > 0

    await poll(check, timeout_s=10, every_s=0.02, what=f"a request waiting on job {job_id}")


@pytest.fixture
async def announcing(
    sessions: async_sessionmaker[AsyncSession], redis: Redis, settings: Settings
) -> async_sessionmaker[AsyncSession]:
    """Sessions that announce the moves they commit, as the API's and the workers' do."""
    engine = sessions.kw["bind"]
    return create_session_factory(engine, announce=JobChangePublisher(redis, settings.redis.queue_name).announce)


async def cancel(sessions: async_sessionmaker[AsyncSession], job_id: uuid.UUID) -> None:
    async with sessions() as session:
        await ImportService(session, actor=OPERATOR).cancel(job_id)
        await session.commit()


async def test_a_terminal_job_answers_at_once(client: AsyncTestClient, tenants: Tenants) -> None:  # type: ignore[type-arg]
    job_id = await submit(client, tenants.acme)
    assert (await client.post(f"{IMPORTS}/{job_id}/cancel", headers=tenants.acme.auth)).status_code == 202
    started = time.monotonic()
    response = await client.get(f"{IMPORTS}/{job_id}?wait={WAIT_S}", headers=tenants.acme.auth)
    elapsed = time.monotonic() - started
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "CANCELLED"
    assert elapsed < WAIT_S / 2


async def test_a_status_already_left_answers_at_once(client: AsyncTestClient, tenants: Tenants) -> None:  # type: ignore[type-arg]
    job_id = await submit(client, tenants.acme)  # QUEUED
    started = time.monotonic()
    response = await client.get(f"{IMPORTS}/{job_id}?wait={WAIT_S}&status=PENDING", headers=tenants.acme.auth)
    elapsed = time.monotonic() - started
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "QUEUED"
    assert elapsed < WAIT_S / 2


async def test_a_move_announced_by_another_session_wakes_the_wait(
    client: AsyncTestClient,  # type: ignore[type-arg]
    tenants: Tenants,
    announcing: async_sessionmaker[AsyncSession],
) -> None:
    job_id = await submit(client, tenants.acme)
    waiting = asyncio.ensure_future(
        in_app_loop(client, f"{IMPORTS}/{job_id}?wait={WAIT_S}&status=QUEUED", tenants.acme.auth)
    )
    await until_waiting(client, job_id)
    await cancel(announcing, job_id)
    response, elapsed = await timed(waiting)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "CANCELLED"
    assert elapsed < WAIT_S / 2, f"answered after {elapsed:.1f}s: the announcement did not wake the wait"


async def test_the_wait_ends_with_the_unchanged_job_despite_a_spurious_wake(
    client: AsyncTestClient,  # type: ignore[type-arg]
    tenants: Tenants,
    redis: Redis,
    settings: Settings,
) -> None:
    job_id = await submit(client, tenants.acme)
    wait_s = 2
    started = time.monotonic()
    waiting = asyncio.ensure_future(
        in_app_loop(client, f"{IMPORTS}/{job_id}?wait={wait_s}&status=QUEUED", tenants.acme.auth)
    )
    await until_waiting(client, job_id)
    await JobChangePublisher(redis, settings.redis.queue_name).announce(frozenset({job_id}))  # nothing moved
    response = await waiting
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "QUEUED"
    assert time.monotonic() - started >= wait_s, "a wake-up without a move must not end the wait"


async def test_an_unannounced_move_is_seen_when_the_wait_ends(
    client: AsyncTestClient,  # type: ignore[type-arg]
    tenants: Tenants,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Notification broken on purpose (the move is never published): the answer still has the current state."""
    job_id = await submit(client, tenants.acme)
    wait_s = 3
    started = time.monotonic()
    waiting = asyncio.ensure_future(
        in_app_loop(client, f"{IMPORTS}/{job_id}?wait={wait_s}&status=QUEUED", tenants.acme.auth)
    )
    await until_waiting(client, job_id)
    await cancel(sessions, job_id)  # the fixture's sessions announce nothing
    response = await waiting
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "CANCELLED"
    assert time.monotonic() - started >= wait_s  # the deadline's re-read found it: nothing woke the wait


@pytest.fixture
async def one_connection_client(migrated: Settings, clean: None) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    tiny = replace(
        migrated,
        database=DatabaseSettings(
            **{**migrated.database.model_dump(), "pool_size": 1, "max_overflow": 0, "connect_timeout_s": 2}
        ),
    )
    async with AsyncTestClient(app=create_app(tiny)) as test_client:
        yield test_client


async def test_a_waiting_request_holds_no_pooled_connection(
    one_connection_client: AsyncTestClient,  # type: ignore[type-arg]
    tenants: Tenants,
) -> None:
    """With a pool of one, the app serves other requests during a wait, and its own cancel wakes the wait."""
    client, auth = one_connection_client, tenants.acme.auth
    job_id = await submit(client, tenants.acme)
    waiting = asyncio.ensure_future(in_app_loop(client, f"{IMPORTS}/{job_id}?wait={WAIT_S}&status=QUEUED", auth))
    await until_waiting(client, job_id)
    engine: AsyncEngine = client.app.state.engine

    async def connection_handed_back() -> bool:  # the wait is registered just before the connection goes back
        return engine.sync_engine.pool.checkedout() == 0  # type: ignore[attr-defined,no-any-return]

    await poll(connection_handed_back, timeout_s=5, every_s=0.02, what="the waiting request's connection back")
    served = await in_app_loop(client, f"{IMPORTS}/{job_id}", auth)
    assert served.status_code == 200, served.text
    assert not waiting.done()
    cancelled = await client.post(f"{IMPORTS}/{job_id}/cancel", headers=auth)  # the API's commit announces it
    assert cancelled.status_code == 202, cancelled.text
    response, elapsed = await timed(waiting)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "CANCELLED"
    assert elapsed < WAIT_S / 2


@pytest.mark.parametrize(("wait", "status"), [(MAX_JOB_WAIT_S + 1, 422), (-1, 400)])
async def test_a_wait_outside_its_bounds_is_refused(
    client: AsyncTestClient,  # type: ignore[type-arg]
    tenants: Tenants,
    wait: int,
    status: int,
) -> None:
    job_id = await submit(client, tenants.acme)
    response = await client.get(f"{IMPORTS}/{job_id}?wait={wait}", headers=tenants.acme.auth)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [error["field"] for error in response.json()["errors"]] == ["wait"]


async def test_a_workers_moves_are_announced_and_a_wait_loop_follows_them(
    rig: Rig, redis: Redis, settings: Settings
) -> None:
    """The vendor's loop (wait on the last status seen) follows a real worker's claim and completion."""
    await rig.shop(products=5, images_min=0, images_max=0)
    job_id = await rig.submit(include_images=False)
    async with redis.pubsub() as pubsub:
        await pubsub.subscribe(channel(settings.redis.queue_name))
        rig.start_workers(1)
        seen, status = [], "QUEUED"
        for _ in range(5):  # QUEUED → RUNNING → COMPLETED takes two answers; a stuck job ends at this bound
            path = f"{IMPORTS}/{job_id}?wait={MAX_JOB_WAIT_S}&status={status}"
            response = await in_app_loop(rig.client, path, rig.tenants.acme.auth)
            assert response.status_code == 200, response.text
            status = response.json()["status"]
            seen.append(status)
            if status in {"COMPLETED", "FAILED", "CANCELLED"}:
                break
        announced = await _announcements(pubsub, job_id, count=2)
    assert status == "COMPLETED", seen
    assert announced >= 2, "the worker's claim and completion must each be announced"


async def _announcements(pubsub: Any, job_id: uuid.UUID, *, count: int) -> int:
    """Messages naming ``job_id`` on the channel, read until ``count`` arrived (or the deadline)."""
    found = 0

    async def check() -> int | None:
        nonlocal found
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
        if message is not None and str(job_id) in message["data"].decode().split():
            found += 1
        return found if found >= count else None

    return await poll(check, timeout_s=10, every_s=0, what=f"{count} announcements of job {job_id}")
