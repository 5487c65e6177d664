"""What a drill acts on and looks through.

The drill's own eyes (PostgreSQL, Redis, S3, the simulator's admin API) connect
to the *real* servers, never through toxiproxy, so a cut dependency blinds the
system under test but not the observer.  The workload goes through the API
exactly like a client would.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Protocol

import httpx
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from control_plane.db.engine import create_engine, create_session_factory
from control_plane.domain.principals import Principal, Role, Tier
from control_plane.domain.providers import Provider
from control_plane.integrations.images import S3ImageStore
from control_plane.integrations.queue import create_redis
from control_plane.integrations.secrets import SecretBox
from control_plane.services.integrations import IntegrationService, NewIntegration
from control_plane.services.tenants import TenantService
from control_plane.settings import DatabaseSettings, RedisSettings, S3Settings
from harness.settings import HarnessSettings
from harness.stack.toxiproxy import ToxiproxyClient
from loadtests.simulator.config import Plan

_LOOPBACK = "127.0.0.1"
_ACTOR = Principal(subject="chaos-harness", role=Role.OPERATOR, company_id=None)


class WorkerPool(Protocol):
    """The worker processes, as the orchestrator (Kubernetes in production) sees them."""

    def live(self) -> dict[str, int]:
        """Worker name -> pid of every live worker."""

    def kill(self, name: str, signum: int) -> None: ...

    def restart(self, name: str) -> None:
        """Start ``name`` again after it died (what the orchestrator's restart policy does)."""


class RedisProcess(Protocol):
    """The Redis server process itself, for drills that crash it (not just cut it off)."""

    def crash(self) -> None: ...

    def restart(self) -> None: ...


@dataclass(frozen=True)
class Tenant:
    """The drill's own company, integration (on a simulator account) and API key."""

    company_id: uuid.UUID
    integration_id: uuid.UUID
    key: str
    provider: Provider
    account: str


@dataclass
class ChaosEnv:
    settings: HarnessSettings
    api: httpx.AsyncClient
    sim_admin: httpx.AsyncClient
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    redis: Redis
    s3: S3Settings
    toxiproxy: ToxiproxyClient
    workers: WorkerPool
    redis_process: RedisProcess | None = None
    reset_all_proxies: bool = True
    """After each drill, reset every proxy to clean (off where others share the toxiproxy, e.g. tests)."""

    async def close(self) -> None:
        await self.api.aclose()
        await self.redis.aclose()
        await self.engine.dispose()
        await self.sim_admin.aclose()


def direct_settings(settings: HarnessSettings) -> tuple[DatabaseSettings, RedisSettings, S3Settings]:
    """The same databases and bucket, reached on the real servers' ports (bypassing toxiproxy)."""
    stack = settings.stack
    database = settings.database.model_copy(update={"host": _LOOPBACK, "port": stack.postgres_port})
    redis = settings.redis.model_copy(update={"host": _LOOPBACK, "port": stack.redis_port})
    s3 = settings.s3.model_copy(update={"endpoint_url": f"http://{_LOOPBACK}:{stack.s3_port}"})
    return database, redis, s3


def open_env(
    settings: HarnessSettings,
    api: httpx.AsyncClient,
    workers: WorkerPool,
    redis_process: RedisProcess | None = None,
) -> ChaosEnv:
    database, redis, s3 = direct_settings(settings)
    engine = create_engine(database)
    return ChaosEnv(
        settings=settings,
        api=api,
        sim_admin=httpx.AsyncClient(base_url=f"http://{_LOOPBACK}:{settings.simulator.port}", timeout=10),
        engine=engine,
        sessions=create_session_factory(engine),
        redis=create_redis(redis),
        s3=s3,
        toxiproxy=ToxiproxyClient.from_settings(settings),
        workers=workers,
        redis_process=redis_process,
    )


def image_store(env: ChaosEnv) -> S3ImageStore:
    return S3ImageStore.from_settings(env.s3)


async def create_tenant(
    env: ChaosEnv,
    slug: str,
    *,
    products: int,
    images_max: int,
    latency_ms: int,
    api: str = "graphql",
    image_px: int = 320,
    image_format: str = "jpeg",
    plan: Plan = "standard",
) -> Tenant:
    """A fresh company with one Shopify integration on its own simulator account (so faults stay local)."""
    sim = env.settings.simulator
    account = slug
    response = await env.sim_admin.put(
        f"/_sim/accounts/shopify/{account}",
        json={
            "products": products,
            "images_min": 0,
            "images_max": images_max,
            "image_width": image_px,
            "image_height": image_px,
            "image_format": image_format,
            "plan": plan,
            "faults": {"latency_ms": latency_ms},
        },
    )
    response.raise_for_status()
    async with env.sessions() as session:
        tenants = TenantService(session, env.settings.auth.api_key_pepper.get_secret_value())
        box = SecretBox(env.settings.provider.secrets_key.get_secret_value())
        company = await tenants.create_company(name=f"Chaos {slug}", slug=slug, tier=Tier.ENTERPRISE)
        integration = await IntegrationService(session, actor=_ACTOR, secrets=box).create(
            NewIntegration(
                provider=Provider.SHOPIFY,
                name=slug,
                credential=f"shpat_sim_{account}",
                account_settings={"api": api},
                base_url=f"{sim.shopify_base}/shopify/{account}",
                company_id=company.id,
            )
        )
        key = await tenants.issue_key(company=company, role=Role.VENDOR, name="chaos drill")
        await session.commit()
    return Tenant(company.id, integration.id, key.key, Provider.SHOPIFY, account)
