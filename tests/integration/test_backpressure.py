"""Admission at POST /api/v1/imports by queue health tier, on lowered thresholds (3 / 6 / 9)."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from control_plane.api.app import create_app
from control_plane.domain.principals import Role, Tier
from control_plane.domain.providers import Provider
from control_plane.services.integrations import IntegrationService, NewIntegration
from control_plane.services.tenants import TenantService
from control_plane.settings import OpsSettings, Settings
from tests.conftest import OPERATOR, Tenants, Vendor, secret_box, simulator_account
from tests.integration.conftest import IMPORTS
from tests.support.queue import delayed_until_ms, in_line_now

LOW = OpsSettings(degraded_at=3, critical_at=6, overload_at=9)
Client = AsyncTestClient  # type: ignore[type-arg]


@pytest.fixture
async def ops_client(
    migrated: Settings, tenants: Tenants, sessions: async_sessionmaker[AsyncSession]
) -> AsyncIterator[Any]:
    async with sessions() as session:
        await session.execute(sa.text("TRUNCATE ops_actions"))
        await session.commit()
    async with AsyncTestClient(app=create_app(replace(migrated, ops=LOW))) as client:
        yield client


async def flood(redis: Redis, settings: Settings, depth: int) -> None:
    """Fill the test queue to ``depth`` with ids no worker will ever see."""
    now = int(time.time() * 1000)
    await redis.zadd(settings.redis.queue_name, {f"fake-{uuid.uuid4()}": now for _ in range(depth)})


async def post(client: Any, vendor: Vendor) -> Any:
    return await client.post(IMPORTS, json={"integration_id": str(vendor.integration_id)}, headers=vendor.auth)


async def enterprise(sessions: async_sessionmaker[AsyncSession], settings: Settings) -> Vendor:
    async with sessions() as session:
        tenants = TenantService(session, settings.auth.api_key_pepper.get_secret_value())
        company = await tenants.create_company(name="Mega", slug="mega-co", tier=Tier.ENTERPRISE)
        base_url, credential = simulator_account(settings, Provider.SHOPIFY, "mega")
        integration = await IntegrationService(session, actor=OPERATOR, secrets=secret_box(settings)).create(
            NewIntegration(
                provider=Provider.SHOPIFY,
                name="mega",
                credential=credential,
                account_settings={},
                base_url=base_url,
                company_id=company.id,
            )
        )
        key = await tenants.issue_key(company=company, role=Role.VENDOR, name="test")
        await session.commit()
    return Vendor(company.id, integration.id, key.key, "mega")


async def test_healthy_admits_every_tier(ops_client: Any, tenants: Tenants) -> None:
    for vendor in (tenants.acme, tenants.beans):
        response = await post(ops_client, vendor)
        assert response.status_code == 202, response.text
        assert response.json()["enqueued"] is True and response.json()["job"]["status"] == "QUEUED"


async def test_degraded_defers_basic_only(
    ops_client: Any, tenants: Tenants, redis: Redis, settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await flood(redis, settings, 3)
    before = time.time() * 1000
    basic, pro = await post(ops_client, tenants.beans), await post(ops_client, tenants.acme)
    assert basic.status_code == pro.status_code == 202
    assert "Degraded" in basic.json()["message"] and "300 s" in basic.json()["message"]
    basic_due = await delayed_until_ms(redis, settings, basic.json()["job"]["id"])
    assert basic_due is not None and before + 299_000 <= basic_due <= time.time() * 1000 + 301_000
    assert await in_line_now(redis, settings, pro.json()["job"]["id"])  # PRO waits in its line, due now
    assert not await in_line_now(redis, settings, basic.json()["job"]["id"])
    events = (await ops_client.get(f"{IMPORTS}/{basic.json()['job']['id']}/events", headers=tenants.beans.auth)).json()
    queued = [e for e in events["items"] if e["kind"] == "queued"]
    assert queued and "Degraded" in queued[0]["message"] and queued[0]["data"] == {"defer_s": 300}


async def test_critical_admits_enterprise_only(
    ops_client: Any, tenants: Tenants, redis: Redis, settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> None:
    mega = await enterprise(sessions, settings)
    await flood(redis, settings, 6)
    for vendor in (tenants.acme, tenants.beans):
        response = await post(ops_client, vendor)
        assert response.status_code == 503, response.text
        body = response.json()
        assert body["queue_tier"] == "Critical" and "only ENTERPRISE" in body["detail"]
        assert response.headers["content-type"].startswith("application/problem+json")
    assert (await post(ops_client, mega)).status_code == 202


async def test_overload_rejects_everyone_with_retry_after(
    ops_client: Any, tenants: Tenants, redis: Redis, settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> None:
    mega = await enterprise(sessions, settings)
    await flood(redis, settings, 10)
    for vendor in (tenants.acme, tenants.beans, mega):
        response = await post(ops_client, vendor)
        assert response.status_code == 503, response.text
        assert response.headers["retry-after"] == str(LOW.overload_retry_after_s)
        assert response.json()["queue_tier"] == "Overload"
    async with sessions() as session:
        assert (await session.execute(sa.text("SELECT count(*) FROM import_jobs"))).scalar_one() == 0


async def test_decisions_are_counted_and_shown_in_the_ops_state(
    ops_client: Any, tenants: Tenants, redis: Redis, settings: Settings
) -> None:
    await post(ops_client, tenants.acme)
    await flood(redis, settings, 9)  # 1 real + 9 fake = 10: Overload
    await post(ops_client, tenants.acme)
    response = await ops_client.get("/api/v1/ops/state", headers=tenants.operator)
    assert response.status_code == 200, response.text
    state = response.json()
    assert state["tier"] == "Overload" and state["depth"] == 10 and state["depth_source"] == "redis"
    assert state["thresholds"] == {"degraded_at": 3, "critical_at": 6, "overload_at": 9}
    assert state["admission"]["ENTERPRISE"]["outcome"] == "rejected"
    assert state["admissions_today"] == {"Healthy:admitted": 1, "Overload:rejected": 1}
