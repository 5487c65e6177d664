"""No transaction is open while a page's images are downloaded: the page's rows are committed first.

``ImportRun`` is driven in-process as the worker's runner drives it, over the
real simulator, PostgreSQL and Redis; the image step is replaced by a probe
that records whether the session is inside a transaction when downloads start.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextlib import aclosing
from datetime import timedelta
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from control_plane.db.repositories.catalog import PendingImage
from control_plane.integrations.providers import ProviderClients, create_http_client
from control_plane.integrations.secrets import SecretBox
from control_plane.services.execution import JobExecution
from control_plane.services.image_ingest import ImageIngest, IngestResult
from control_plane.services.import_inputs import load_inputs
from control_plane.services.import_run import ImportRun
from control_plane.settings import Settings
from tests.conftest import Tenants
from tests.integration.conftest import submit


class DownloadProbe(ImageIngest):
    """Records, for each page with images, whether a transaction was open when its downloads began."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self.in_transaction: list[bool] = []

    async def ingest(self, pending: Sequence[PendingImage]) -> IngestResult:
        self.in_transaction.append(self._session.in_transaction())
        return IngestResult()


async def _pages_with_images(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    redis: Redis,
    tenants: Tenants,
    client: AsyncTestClient,  # type: ignore[type-arg]
    end_transaction: Callable[[AsyncSession], Callable[[], Awaitable[None]] | None],
) -> list[bool]:
    job_id = await submit(client, tenants.acme)
    secrets = SecretBox(settings.provider.secrets_key.get_secret_value())
    async with sessions() as session, create_http_client(settings) as http:
        execution = JobExecution(session, worker_id="test:transactions", lease_ttl=timedelta(seconds=60))
        job = await execution.claim(job_id)
        await session.commit()
        assert job is not None
        inputs = await load_inputs(session, job, secrets)
        probe = DownloadProbe(session)
        run = ImportRun(
            session,
            job=job,
            client=ProviderClients(http, redis, settings)(inputs.access),
            rules=inputs.rules,
            context=inputs.context,
            images=probe,
            execution=execution,
            end_transaction=end_transaction(session),
        )
        async with aclosing(run.pages()) as pages:
            async for _ in pages:
                await session.commit()
    return probe.in_transaction


@pytest.mark.parametrize(
    ("hook", "expected"),
    [
        pytest.param(lambda session: session.commit, False, id="with the runner's commit"),
        # Broken on purpose: without the hook the downloads run inside the page's transaction.
        pytest.param(lambda session: None, True, id="without it"),
    ],
)
async def test_image_downloads_start_outside_any_transaction(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    redis: Redis,
    tenants: Tenants,
    client: AsyncTestClient,  # type: ignore[type-arg]
    acme_shop: Callable[..., Any],
    hook: Callable[[AsyncSession], Callable[[], Awaitable[None]] | None],
    expected: bool,
) -> None:
    await acme_shop(products=5, images_min=1, images_max=1)
    seen = await _pages_with_images(settings, sessions, redis, tenants, client, hook)
    assert seen and all(state is expected for state in seen)
