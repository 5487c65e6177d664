"""Redis away (its toxiproxy proxy disabled): jobs are still accepted into PostgreSQL, honestly."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from control_plane.db.models import ImportJob, JobEvent
from control_plane.settings import Settings
from harness.stack.toxiproxy import ToxiproxyClient
from tests.conftest import Tenants
from tests.support.queue import in_line_now

IMPORTS = "/api/v1/imports"


async def test_submission_while_redis_is_down_stays_pending_and_says_so(
    client: AsyncTestClient,
    tenants: Tenants,
    sessions: async_sessionmaker[AsyncSession],
    redis: Redis,
    settings: Settings,
    toxiproxy: ToxiproxyClient,
) -> None:
    with toxiproxy.disabled("redis"):
        response = await client.post(
            IMPORTS,
            json={"integration_id": str(tenants.acme.integration_id)},
            headers={**tenants.acme.auth, "Idempotency-Key": "during-outage"},
        )
        ready = await client.get("/health/ready")
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["enqueued"] is False
    assert body["job"]["status"] == "PENDING"
    assert "queue is unavailable" in body["message"] and "enqueued automatically" in body["message"]
    assert ready.status_code == 503 and ready.json()["checks"]["redis"].startswith("unreachable")

    job_id = uuid.UUID(body["job"]["id"])
    async with sessions() as session:
        job = await session.get(ImportJob, job_id)
        assert job is not None and job.status.value == "PENDING" and job.queued_at is None
        kinds = (await session.execute(sa.select(JobEvent.kind).where(JobEvent.job_id == job_id))).scalars()
        assert list(kinds) == ["created", "enqueue_failed"]
    assert not await in_line_now(redis, settings, job_id)

    # Redis is back: a retry of the same request returns the stored job, never a duplicate.
    again = await client.post(
        IMPORTS,
        json={"integration_id": str(tenants.acme.integration_id)},
        headers={**tenants.acme.auth, "Idempotency-Key": "during-outage"},
    )
    assert again.status_code == 200 and again.json()["job"]["id"] == str(job_id)
    assert (await client.get("/health/ready")).status_code == 200
