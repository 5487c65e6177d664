"""Submitting and managing imports through the API, on the real PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
import uuid

import sqlalchemy as sa
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from control_plane.db.models import ImportJob, JobEvent
from control_plane.settings import Settings
from tests.conftest import Tenants
from tests.support.queue import in_line_now

IMPORTS = "/api/v1/imports"


async def _job_row(sessions: async_sessionmaker[AsyncSession], job_id: str) -> ImportJob | None:
    async with sessions() as session:
        return await session.get(ImportJob, uuid.UUID(job_id))


async def _event_kinds(sessions: async_sessionmaker[AsyncSession], job_id: str) -> list[str]:
    async with sessions() as session:
        rows = await session.execute(
            sa.select(JobEvent.kind).where(JobEvent.job_id == uuid.UUID(job_id)).order_by(JobEvent.id)
        )
        return list(rows.scalars())


async def test_submission_is_written_to_postgres_then_queued_in_redis_under_the_same_id(
    client: AsyncTestClient,
    tenants: Tenants,
    sessions: async_sessionmaker[AsyncSession],
    redis: Redis,
    settings: Settings,
) -> None:
    response = await client.post(
        IMPORTS, json={"integration_id": str(tenants.acme.integration_id)}, headers=tenants.acme.auth
    )
    assert response.status_code == 202, response.text
    body = response.json()
    job_id = body["job"]["id"]
    assert body["enqueued"] is True and body["replayed"] is False
    assert body["job"]["status"] == "QUEUED"
    assert response.headers["location"] == f"{IMPORTS}/{job_id}"
    row = await _job_row(sessions, job_id)
    assert row is not None and row.status.value == "QUEUED" and row.queued_at is not None
    assert row.company_id == tenants.acme.company_id and row.tier.value == "PRO"
    assert await in_line_now(redis, settings, job_id)  # in its company's line of the fair dispatcher
    assert await _event_kinds(sessions, job_id) == ["created", "queued"]


async def test_idempotency_key_returns_the_original_job(client: AsyncTestClient, tenants: Tenants) -> None:
    payload = {"integration_id": str(tenants.acme.integration_id), "options": {"max_products": 10}}
    headers = {**tenants.acme.auth, "Idempotency-Key": "order-42"}
    first = await client.post(IMPORTS, json=payload, headers=headers)
    again = await client.post(IMPORTS, json=payload, headers=headers)
    assert first.status_code == 202 and again.status_code == 200
    assert again.json()["job"]["id"] == first.json()["job"]["id"]
    assert again.json()["replayed"] is True and again.headers["idempotent-replayed"] == "true"
    listing = await client.get(IMPORTS, headers=tenants.acme.auth)
    assert len(listing.json()["items"]) == 1


async def test_idempotency_key_reused_for_a_different_request_is_a_conflict(
    client: AsyncTestClient, tenants: Tenants
) -> None:
    headers = {**tenants.acme.auth, "Idempotency-Key": "k1"}
    await client.post(IMPORTS, json={"integration_id": str(tenants.acme.integration_id)}, headers=headers)
    clash = await client.post(
        IMPORTS,
        json={"integration_id": str(tenants.acme.integration_id), "options": {"max_products": 5}},
        headers=headers,
    )
    assert clash.status_code == 409
    assert clash.headers["content-type"].startswith("application/problem+json")
    assert clash.json()["errors"][0]["field"] == "Idempotency-Key"


async def test_concurrent_submissions_with_one_key_create_one_job(
    client: AsyncTestClient, tenants: Tenants, sessions: async_sessionmaker[AsyncSession]
) -> None:
    headers = {**tenants.acme.auth, "Idempotency-Key": "burst"}
    payload = {"integration_id": str(tenants.acme.integration_id)}
    responses = await asyncio.gather(*(client.post(IMPORTS, json=payload, headers=headers) for _ in range(8)))
    assert {r.status_code for r in responses} <= {200, 202}
    assert len({r.json()["job"]["id"] for r in responses}) == 1
    async with sessions() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(ImportJob)) == 1


async def test_same_key_in_two_companies_are_two_jobs(client: AsyncTestClient, tenants: Tenants) -> None:
    a = await client.post(
        IMPORTS,
        json={"integration_id": str(tenants.acme.integration_id)},
        headers={**tenants.acme.auth, "Idempotency-Key": "shared"},
    )
    b = await client.post(
        IMPORTS,
        json={"integration_id": str(tenants.beans.integration_id)},
        headers={**tenants.beans.auth, "Idempotency-Key": "shared"},
    )
    assert a.status_code == b.status_code == 202
    assert a.json()["job"]["id"] != b.json()["job"]["id"]


async def test_cancel_a_queued_job_then_retry_it(
    client: AsyncTestClient, tenants: Tenants, sessions: async_sessionmaker[AsyncSession]
) -> None:
    job_id = (
        await client.post(IMPORTS, json={"integration_id": str(tenants.acme.integration_id)}, headers=tenants.acme.auth)
    ).json()["job"]["id"]
    cancelled = await client.post(f"{IMPORTS}/{job_id}/cancel", headers=tenants.acme.auth)
    assert cancelled.status_code == 202 and cancelled.json()["status"] == "CANCELLED"
    again = await client.post(f"{IMPORTS}/{job_id}/cancel", headers=tenants.acme.auth)
    assert again.status_code == 409 and again.json()["type"].endswith("invalid_transition")
    retried = await client.post(f"{IMPORTS}/{job_id}/retry", headers=tenants.acme.auth)
    assert retried.status_code == 202 and retried.json()["job"]["status"] == "QUEUED"
    assert await _event_kinds(sessions, job_id) == [
        "created",
        "queued",
        "cancelled",
        "retry_requested",
        "queued",
    ]
    events = await client.get(f"{IMPORTS}/{job_id}/events", headers=tenants.acme.auth)
    assert [e["kind"] for e in events.json()["items"]][-2:] == ["retry_requested", "queued"]


async def test_retrying_a_job_that_is_not_dead_is_a_conflict(client: AsyncTestClient, tenants: Tenants) -> None:
    job_id = (
        await client.post(IMPORTS, json={"integration_id": str(tenants.acme.integration_id)}, headers=tenants.acme.auth)
    ).json()["job"]["id"]
    response = await client.post(f"{IMPORTS}/{job_id}/retry", headers=tenants.acme.auth)
    assert response.status_code == 409
    assert "QUEUED" in response.json()["detail"]


async def test_listing_filters_and_paginates_with_a_cursor(client: AsyncTestClient, tenants: Tenants) -> None:
    created = []
    for _ in range(5):
        r = await client.post(
            IMPORTS, json={"integration_id": str(tenants.acme.integration_id)}, headers=tenants.acme.auth
        )
        created.append(r.json()["job"]["id"])
    await client.post(f"{IMPORTS}/{created[0]}/cancel", headers=tenants.acme.auth)
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(IMPORTS, params=params, headers=tenants.acme.auth)).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(created))
    cancelled = (await client.get(IMPORTS, params={"status": "CANCELLED"}, headers=tenants.acme.auth)).json()
    assert [item["id"] for item in cancelled["items"]] == [created[0]]
    by_provider = (await client.get(IMPORTS, params={"provider": "roastify"}, headers=tenants.acme.auth)).json()
    assert by_provider["items"] == []


async def test_readiness_and_liveness(client: AsyncTestClient) -> None:
    assert (await client.get("/health/live")).json() == {"status": "ok"}
    ready = await client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}


async def test_openapi_schema_is_served(client: AsyncTestClient) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    assert "/api/v1/imports" in schema["paths"]
    assert "bearer" in schema["components"]["securitySchemes"]


async def test_job_progress_and_the_openapi_document_show_removal_counters(
    client: AsyncTestClient, tenants: Tenants, sessions: async_sessionmaker[AsyncSession]
) -> None:
    response = await client.post(
        IMPORTS, json={"integration_id": str(tenants.acme.integration_id)}, headers=tenants.acme.auth
    )
    job_id = response.json()["job"]["id"]
    async with sessions() as session:
        await session.execute(
            sa.update(ImportJob).where(ImportJob.id == uuid.UUID(job_id)).values(products_removed=3, images_removed=7)
        )
        await session.commit()
    progress = (await client.get(f"{IMPORTS}/{job_id}", headers=tenants.acme.auth)).json()["progress"]
    assert (progress["products_removed"], progress["images_removed"]) == (3, 7)
    schema = (await client.get("/schema/openapi.json")).json()["components"]["schemas"]
    (shape,) = [s for name, s in schema.items() if name.endswith("Progress") and "images_failed" in s["properties"]]
    assert {"products_removed", "images_removed"} <= set(shape["required"])
