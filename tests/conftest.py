"""Shared fixtures: a test database and Redis database on the real local stack.

The stack (`importctl stack up --infra-only`, run by `make test`) must be up;
every connection goes through its toxiproxy proxy, exactly as the apps do.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace

import asyncpg
import pytest
import sqlalchemy as sa
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from control_plane.api.app import create_app
from control_plane.db.engine import create_engine, create_session_factory
from control_plane.db.migrate import run_migration
from control_plane.domain.principals import Principal, Role, Tier
from control_plane.domain.providers import Provider
from control_plane.integrations.queue import create_redis
from control_plane.integrations.secrets import SecretBox
from control_plane.services.integrations import IntegrationService, NewIntegration
from control_plane.services.tenants import TenantService
from control_plane.settings import DatabaseSettings, RedisSettings, Settings, load_settings
from harness.settings import HarnessSettings, SimulatorSettings, harness_settings_of
from harness.stack.toxiproxy import ToxiproxyClient, ensure_proxies, proxy_specs

TEST_DATABASE = f"icp_test_{os.getpid()}"
"""One database per test session, so concurrent runs on one machine never drop each other's."""
TEST_REDIS_DB = 3 + os.getpid() % 12
"""Logical Redis db 3-14, by session: 0 is the local stack's, 2 the benchmarks'."""
TABLES = (
    "import_seen_products, storage_garbage, ops_actions, slo_observations, job_events, import_jobs, product_images, "
    "products, storage_usage, field_mappings, integrations, api_credentials, companies"
)


@pytest.fixture(scope="session")
def settings() -> Settings:
    base = load_settings()
    return replace(
        base,
        database=DatabaseSettings(**{**base.database.model_dump(), "name": TEST_DATABASE}),
        redis=RedisSettings(
            **{**base.redis.model_dump(), "database": TEST_REDIS_DB, "queue_name": f"icp:test:{os.getpid()}:queue"}
        ),
    )


async def _admin(settings: Settings, *statements: str) -> None:
    """Run statements on the server's maintenance database (create/drop the test database)."""
    db = settings.database
    conn = await asyncpg.connect(
        host=db.host, port=db.port, user=db.user, password=db.password.get_secret_value(), database="postgres"
    )
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def _drop_database(settings: Settings) -> None:
    await _admin(settings, f'DROP DATABASE IF EXISTS "{settings.database.name}" WITH (FORCE)')


async def _recreate_database(settings: Settings) -> None:
    name = settings.database.name
    await _admin(settings, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')


@pytest.fixture(scope="session")
async def migrated(settings: Settings) -> AsyncIterator[Settings]:
    await _recreate_database(settings)
    await run_migration(settings.database, "head")
    yield settings
    await _drop_database(settings)


@pytest.fixture(scope="session")
async def sessions(migrated: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(migrated.database)
    yield create_session_factory(engine)
    await engine.dispose()


@pytest.fixture(scope="session")
async def redis(settings: Settings) -> AsyncIterator[Redis]:
    client = create_redis(settings.redis)
    yield client
    await client.aclose()


@pytest.fixture
async def clean(sessions: async_sessionmaker[AsyncSession], redis: Redis) -> None:
    """Each test starts from empty tables and an empty Redis database."""
    async with sessions() as session:
        await session.execute(sa.text(f"TRUNCATE {TABLES} CASCADE"))
        await session.commit()
    await redis.flushdb()


@pytest.fixture
async def client(migrated: Settings, clean: None) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    async with AsyncTestClient(app=create_app(migrated)) as test_client:
        yield test_client


@dataclass(frozen=True)
class Vendor:
    company_id: uuid.UUID
    integration_id: uuid.UUID
    key: str
    account: str
    """The vendor's account on the provider simulator."""

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


@dataclass(frozen=True)
class Tenants:
    acme: Vendor
    beans: Vendor
    operator_key: str
    viewer_key: str

    @property
    def operator(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.operator_key}"}

    @property
    def viewer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.viewer_key}"}


OPERATOR = Principal(subject="test-operator", role=Role.OPERATOR, company_id=None)


def secret_box(settings: Settings) -> SecretBox:
    return SecretBox(settings.provider.secrets_key.get_secret_value())


def simulator_account(settings: Settings, provider: Provider, account: str) -> tuple[str, str]:
    """Base URL and credential of ``account`` on the provider simulator (through toxiproxy)."""
    sim = SimulatorSettings()
    if provider is Provider.SHOPIFY:
        return f"{sim.shopify_base}/shopify/{account}", f"shpat_sim_{account}"
    return f"{sim.roastify_base}/roastify/{account}", f"rk_sim_{account}"


@pytest.fixture
async def tenants(clean: None, sessions: async_sessionmaker[AsyncSession], settings: Settings) -> Tenants:
    """Two companies on different providers and tiers, plus an operator and a (read-only) viewer."""
    async with sessions() as session:
        service = TenantService(session, settings.auth.api_key_pepper.get_secret_value())
        integrations = IntegrationService(session, actor=OPERATOR, secrets=secret_box(settings))
        vendors = []
        for slug, tier, provider in (
            ("acme", Tier.PRO, Provider.SHOPIFY),
            ("beans", Tier.BASIC, Provider.ROASTIFY),
        ):
            company = await service.create_company(name=slug.title(), slug=f"{slug}-co", tier=tier)
            account = f"{slug}-{os.getpid()}"  # simulator accounts are shared by concurrent sessions
            base_url, credential = simulator_account(settings, provider, account)
            integration = await integrations.create(
                NewIntegration(
                    provider=provider,
                    name=slug,
                    credential=credential,
                    account_settings={},
                    base_url=base_url,
                    company_id=company.id,
                )
            )
            key = await service.issue_key(company=company, role=Role.VENDOR, name="test")
            vendors.append(Vendor(company.id, integration.id, key.key, account))
        operator = await service.issue_key(company=None, role=Role.OPERATOR, name="ops")
        viewer = await service.issue_key(company=None, role=Role.VIEWER, name="watch")
        await session.commit()
    return Tenants(acme=vendors[0], beans=vendors[1], operator_key=operator.key, viewer_key=viewer.key)


@pytest.fixture(scope="session")
def harness_settings(settings: Settings) -> HarnessSettings:
    """The tests' settings with the local stack's and the simulator's sections (never handed to the API)."""
    return harness_settings_of(settings)


@pytest.fixture(scope="session")
def toxiproxy(harness_settings: HarnessSettings) -> Iterator[ToxiproxyClient]:
    client = ToxiproxyClient.from_settings(harness_settings)
    yield client
    ensure_proxies(client, proxy_specs(harness_settings))  # whatever a test did, leave the proxies clean
