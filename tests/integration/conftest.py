"""Fixtures for tests that run real workers against the provider simulator."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from control_plane.integrations.images import S3ImageStore
from control_plane.settings import Settings
from harness.settings import SimulatorSettings
from tests.conftest import Tenants, Vendor
from tests.support.workers import WorkerProcess

IMPORTS = "/api/v1/imports"
StartWorkers = Callable[..., list[WorkerProcess]]


@pytest.fixture
async def sim(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=SimulatorSettings().shopify_base, timeout=10) as client:
        yield client


@pytest.fixture
async def acme_shop(sim: httpx.AsyncClient, tenants: Tenants) -> AsyncIterator[Callable[..., Any]]:
    """Configure the simulator shop behind acme's integration; forgotten afterwards."""

    async def configure(**config: Any) -> None:
        response = await sim.put(f"/_sim/accounts/shopify/{tenants.acme.account}", json=config)
        assert response.status_code < 300, response.text

    yield configure
    await sim.delete(f"/_sim/accounts/shopify/{tenants.acme.account}")


@pytest.fixture
def start_workers(settings: Settings, clean: None) -> Iterator[StartWorkers]:
    started: list[WorkerProcess] = []

    def start(count: int = 1, **overrides: str) -> list[WorkerProcess]:
        batch = [
            WorkerProcess(settings, f"test-worker-{len(started) + i + 1}", **overrides).start() for i in range(count)
        ]
        started.extend(batch)
        return batch

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
async def store(settings: Settings) -> AsyncIterator[S3ImageStore]:
    async with S3ImageStore.from_settings(settings.s3) as opened:
        yield opened


async def submit(client: AsyncTestClient, vendor: Vendor, **options: Any) -> uuid.UUID:
    body = {"integration_id": str(vendor.integration_id), "options": options}
    response = await client.post(IMPORTS, json=body, headers=vendor.auth)
    assert response.status_code == 202, response.text
    return uuid.UUID(response.json()["job"]["id"])


@dataclass(frozen=True)
class Rig:
    """Everything a worker test needs: the API, the tenants, the job store, the shop and workers."""

    client: AsyncTestClient
    tenants: Tenants
    sessions: async_sessionmaker[AsyncSession]
    shop: Callable[..., Any]
    start_workers: StartWorkers

    async def submit(self, **options: Any) -> uuid.UUID:
        return await submit(self.client, self.tenants.acme, **options)


@pytest.fixture
def rig(
    client: AsyncTestClient,
    tenants: Tenants,
    sessions: async_sessionmaker[AsyncSession],
    acme_shop: Callable[..., Any],
    start_workers: StartWorkers,
) -> Rig:
    return Rig(client, tenants, sessions, acme_shop, start_workers)
