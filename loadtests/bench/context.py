"""What every benchmark of one run shares: settings, database, Redis, HTTP, the simulator's admin API.

Opening it creates the bench database and empties the bench Redis db;
closing it forgets the simulator accounts, drops the database and empties
the Redis db again, whatever happened in between.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from types import TracebackType

import httpx
from arq.connections import ArqRedis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from control_plane.db.engine import create_engine, create_session_factory
from control_plane.db.models import Company
from control_plane.domain.principals import Principal, Role, Tier
from control_plane.domain.providers import Provider
from control_plane.integrations.queue import create_redis
from control_plane.integrations.secrets import SecretBox
from control_plane.services.integrations import IntegrationService, NewIntegration
from control_plane.services.tenants import TenantService
from harness.settings import HarnessSettings
from loadtests.bench.environment import create_database, drop_database
from loadtests.bench.simulator_admin import SimulatorAdmin

OPERATOR = Principal(subject="bench-operator", role=Role.OPERATOR, company_id=None)
UNLIMITED_REQUESTS_PER_MINUTE = 100_000
"""The largest per-integration override: provider pacing is not what the bench measures."""


@dataclass(frozen=True)
class BenchShop:
    """A company with one Shopify integration on a simulator shop."""

    company_id: uuid.UUID
    integration_id: uuid.UUID
    shop: str


class BenchContext:
    def __init__(self, settings: HarnessSettings, run_id: str) -> None:
        self.settings = settings
        self.run_id = run_id
        self.secrets = SecretBox(settings.provider.secrets_key.get_secret_value())
        self.http = httpx.AsyncClient(timeout=httpx.Timeout(60.0, connect=5.0))
        self.simulator = SimulatorAdmin(self.http, settings)
        self.redis: ArqRedis = create_redis(settings.redis)
        self._engine: AsyncEngine | None = None
        self._sessions: async_sessionmaker[AsyncSession] | None = None

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        assert self._sessions is not None, "use BenchContext as an async context manager"
        return self._sessions

    def shop_name(self, purpose: str) -> str:
        """A shop name unique to this run (lower case, as Shopify names shops), so earlier runs do not mix in."""
        return f"bench-{purpose}-{self.run_id.lower()}"

    async def __aenter__(self) -> BenchContext:
        await create_database(self.settings.database)
        await self.redis.flushdb()
        self._engine = create_engine(self.settings.database)
        self._sessions = create_session_factory(self._engine)
        return self

    async def __aexit__(
        self, _type: type[BaseException] | None, _exc: BaseException | None, _tb: TracebackType | None
    ) -> None:
        try:
            await self.simulator.forget_all()
        finally:
            if self._engine is not None:
                await self._engine.dispose()
            await drop_database(self.settings.database)
            await self.redis.flushdb()
            await self.redis.aclose()
            await self.http.aclose()

    async def create_company(self, purpose: str) -> uuid.UUID:
        async with self.sessions() as session:
            company = await self._company(session, purpose)
            await session.commit()
        return company.id

    async def _company(self, session: AsyncSession, purpose: str) -> Company:
        tenants = TenantService(session, self.settings.auth.api_key_pepper.get_secret_value())
        return await tenants.create_company(name=f"Bench {purpose}", slug=f"bench-{purpose}", tier=Tier.PRO)

    async def create_shop(self, purpose: str, *, shop: str | None = None, api: str | None = None) -> BenchShop:
        """A company and its integration on the simulator shop for ``purpose``, rate-limit override maxed.

        ``shop`` names another purpose's shop (two companies reading one catalog); ``api`` picks Shopify's
        ``rest`` or ``graphql`` API (GraphQL by default).
        """
        shop = shop or self.shop_name(purpose)
        settings: dict[str, object] = {"shop": shop, "requests_per_minute": UNLIMITED_REQUESTS_PER_MINUTE}
        if api is not None:
            settings["api"] = api
        async with self.sessions() as session:
            company = await self._company(session, purpose)
            integrations = IntegrationService(session, actor=OPERATOR, secrets=self.secrets)
            integration = await integrations.create(
                NewIntegration(
                    provider=Provider.SHOPIFY,
                    name=f"bench {purpose}",
                    credential=self.simulator.credential(shop),
                    account_settings=settings,
                    base_url=self.simulator.shop_url(shop),
                    company_id=company.id,
                )
            )
            await session.commit()
        return BenchShop(company.id, integration.id, shop)
