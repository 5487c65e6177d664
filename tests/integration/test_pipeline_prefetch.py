"""The page loop fetches one page ahead, never more, and leaving it early drops only the page in flight.

``ImportRun`` is driven in-process the way the worker's runner drives it, over
the real simulator (through toxiproxy), PostgreSQL and Redis.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import aclosing
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from control_plane.db.models import ImportJob, Product
from control_plane.integrations.providers import ProviderClients, create_http_client
from control_plane.integrations.providers.base import ProductPage, ProviderClient
from control_plane.integrations.secrets import SecretBox
from control_plane.services.execution import JobExecution
from control_plane.services.import_inputs import load_inputs
from control_plane.services.import_run import ImportRun
from control_plane.settings import Settings
from tests.conftest import Tenants
from tests.integration.conftest import submit

PAGE_SIZE = 10


class CountingClient:
    """The real provider client, counting fetches started and finished."""

    def __init__(self, inner: ProviderClient) -> None:
        self.provider = inner.provider
        self._inner = inner
        self.started = 0
        self.finished = 0
        self.sizes: list[int] = []
        """Products of each page returned, in order (the GraphQL client may return fewer than asked: cost)."""

    async def fetch_page(
        self,
        cursor: str | None,
        *,
        page_size: int | None = None,
        updated_since: datetime | None = None,
        bulk_allowed: bool = False,
        sample: bool = False,
    ) -> ProductPage:
        self.started += 1
        try:
            page = await self._inner.fetch_page(cursor, page_size=PAGE_SIZE, updated_since=updated_since)
            self.sizes.append(len(page.products))
            return page
        finally:
            self.finished += 1


async def test_pages_are_fetched_one_ahead_and_an_early_exit_keeps_the_checkpoint_exact(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    redis: Redis,
    tenants: Tenants,
    client: AsyncTestClient,  # type: ignore[type-arg]
    acme_shop: Callable[..., Any],
) -> None:
    await acme_shop(products=5 * PAGE_SIZE)
    job_id = await submit(client, tenants.acme, include_images=False)
    secrets = SecretBox(settings.provider.secrets_key.get_secret_value())
    async with sessions() as session, create_http_client(settings) as http:
        execution = JobExecution(session, worker_id="test:prefetch", lease_ttl=timedelta(seconds=60))
        job = await execution.claim(job_id)
        await session.commit()
        assert job is not None
        inputs = await load_inputs(session, job, secrets)
        provider = CountingClient(ProviderClients(http, redis, settings)(inputs.access))
        run = ImportRun(
            session,
            job=job,
            client=provider,
            rules=inputs.rules,
            context=inputs.context,
            images=None,
            execution=execution,
        )
        async with aclosing(run.pages()) as pages:
            async for page in pages:
                await session.commit()
                assert provider.started <= page.progress.pages + 1, "never more than one page ahead"
                if page.progress.pages == 2:
                    break
        assert provider.started == 3, "the third page was fetched ahead while the second was written"
    async with sessions() as session:
        stored = await session.scalar(sa.select(sa.func.count()).select_from(Product))
        saved = await session.get(ImportJob, job_id)
    written = sum(provider.sizes[:2])
    assert stored == written, "only the pages handed to the caller were written"
    assert saved is not None and saved.checkpoint["progress"]["products_processed"] == written
    assert saved.checkpoint["cursor"], "the checkpoint names the page after the last one written"
