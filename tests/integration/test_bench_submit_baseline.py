"""The submit figure's raw baseline writes what the API writes: the same job row, events and filing."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from control_plane.settings import Settings
from loadtests.bench.raw_submit import EVENT_COLUMNS, create_pool, read_template, submit_raw
from loadtests.bench.submit_clients import SUBMIT_PATH, Vendor
from tests.conftest import Tenants
from tests.support.queue import dispatcher, in_line_now

OWN_PER_JOB = {"id", "correlation_id", "requested_at", "queued_at"}
"""What must differ between two jobs of one vendor with the same request: ids and the times they were written."""


async def _job(conn: asyncpg.Connection, job_id: uuid.UUID) -> dict[str, Any]:
    return dict((await conn.fetchrow("SELECT * FROM import_jobs WHERE id = $1", job_id)).items())


async def _events(conn: asyncpg.Connection, job_id: uuid.UUID) -> list[tuple[Any, ...]]:
    rows = await conn.fetch(
        f"SELECT {', '.join(EVENT_COLUMNS)} FROM job_events WHERE job_id = $1 ORDER BY id",  # noqa: S608
        job_id,
    )
    return [tuple(row) for row in rows]


async def test_a_raw_submission_leaves_the_rows_and_the_line_an_api_submission_leaves(
    client: AsyncTestClient,  # type: ignore[type-arg]
    tenants: Tenants,
    settings: Settings,
    redis: Redis,
) -> None:
    acme = tenants.acme
    body = {"integration_id": str(acme.integration_id), "options": {"include_images": False}}
    response = await client.post(SUBMIT_PATH, json=body, headers=acme.auth)
    assert response.status_code == 202, response.text
    api_job = uuid.UUID(response.json()["job"]["id"])
    pool = await create_pool(settings.database, 2)
    try:
        async with pool.acquire() as conn:
            template = await read_template(conn, api_job)
        vendor = Vendor(acme.company_id, acme.integration_id, acme.key)
        run = await submit_raw(pool, dispatcher(redis, settings), template, [vendor], [1])
        (raw_job,) = run.job_ids
        async with pool.acquire() as conn:
            api_row, raw_row = await _job(conn, api_job), await _job(conn, raw_job)
            api_events, raw_events = await _events(conn, api_job), await _events(conn, raw_job)
    finally:
        await pool.close()
    assert {name for name in api_row if api_row[name] != raw_row[name]} == OWN_PER_JOB
    assert raw_row["status"] == "QUEUED" and raw_row["queued_at"] is not None
    assert [event[0] for event in raw_events] == ["created", "queued"]
    assert raw_events == api_events
    assert await in_line_now(redis, settings, api_job)
    assert await in_line_now(redis, settings, raw_job)
